// What the pages share: the session (token, accounts, the chosen account) and the period shown.
import { reactive } from 'vue';
import type { Account } from './api';
import { presetRange, type Granularity, type PresetName, type Range } from './dates';

interface Session {
  token: string;
  accounts: Account[];
  appid: string;
  signOut(): void;
}

export const session: Session = reactive({
  token: sessionStorage.getItem('qrscene.token') ?? '',
  accounts: [] as Account[],
  appid: '',
  signOut() {
    sessionStorage.removeItem('qrscene.token');
    session.token = '';
    session.accounts = [];
  },
});

export function currentAccount(): Account | undefined {
  return session.accounts.find((a) => a.appid === session.appid);
}

// Signs in with `token`: true when the API accepts it; throws the API's refusal otherwise.
export async function signIn(token: string): Promise<'ok' | 'bad' | 'limited'> {
  const res = await fetch('/api/v1/accounts', { headers: { Authorization: 'Bearer ' + token } });
  if (!res.ok) return res.status === 429 ? 'limited' : 'bad';
  session.accounts = (await res.json()) as Account[];
  session.token = token;
  sessionStorage.setItem('qrscene.token', token);
  const saved = localStorage.getItem('qrscene.appid');
  session.appid = session.accounts.some((a) => a.appid === saved) ? (saved as string) : (session.accounts[0]?.appid ?? '');
  return 'ok';
}

export function chooseAccount(appid: string): void {
  session.appid = appid;
  localStorage.setItem('qrscene.appid', appid);
}

// The period every page shows, kept when moving between pages.
export interface Period {
  preset: PresetName;
  range: Range;
  granularity: Granularity;
}

export const period: Period = reactive({
  preset: 'last30',
  range: presetRange('last30'),
  granularity: 'day',
});
