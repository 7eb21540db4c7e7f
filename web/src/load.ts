// A page's data: loaded on entry and again on demand; a failure is one message in the user's language.
import { onMounted, ref } from 'vue';
import { errorText } from './i18n';

export function useLoad(fetcher: () => Promise<void>) {
  const loading = ref(true);
  const error = ref('');
  async function reload() {
    loading.value = true;
    error.value = '';
    try {
      await fetcher();
    } catch (e) {
      error.value = errorText(e);
    } finally {
      loading.value = false;
    }
  }
  onMounted(reload);
  return { loading, error, reload };
}
