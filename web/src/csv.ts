// A CSV file sent to an import endpoint in parts (each with the header line), so that a large file
// shows progress and a bad part does not stop the rest. Row errors come back numbered as lines of
// the whole file.
import { api, type RowError } from './api';
import { errorText } from './i18n';

// Splits a CSV into records, quotes respected.
export function csvRecords(text: string): string[] {
  const records: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of text.replace(/^\uFEFF/, '')) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '\n') {
      if (cur.trim()) records.push(cur.replace(/\r$/, ''));
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) records.push(cur.replace(/\r$/, ''));
  return records;
}

export async function uploadCsv<T extends { errors: RowError[] }>(
  file: File,
  path: string,
  progress: (done: number, total: number) => void,
  take: (answer: T) => void,
): Promise<RowError[]> {
  const records = csvRecords(await file.text());
  const header = records.shift() ?? '';
  const chunk = 20;
  const errors: RowError[] = [];
  progress(0, records.length);
  for (let i = 0; i < records.length; i += chunk) {
    const part = [header, ...records.slice(i, i + chunk)].join('\n');
    try {
      const answer = await api<T>(path, { method: 'POST', body: part, contentType: 'text/csv' });
      take(answer);
      for (const e of answer.errors) errors.push({ ...e, row: e.row + i });
    } catch (e) {
      errors.push({ row: i + 2, message: errorText(e), code: 'invalid' });
    }
    progress(Math.min(records.length, i + chunk), records.length);
  }
  return errors;
}

// A template to fill in: the header, and one example line.
export function saveTemplate(filename: string, header: string[], example: string[]): void {
  const quote = (v: string) => (/[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
  const text = '\uFEFF' + header.join(',') + '\r\n' + example.map(quote).join(',') + '\r\n';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}
