// The qrscene dashboard: Vue 3, Element Plus and ECharts on the admin API (/api/v1), in Chinese
// and English. Built by Vite and served from the qrscene binary; nothing is fetched from elsewhere.
import { createApp, watch, type Plugin } from 'vue';
import {
  ElAlert, ElButton, ElCard, ElColorPicker, ElConfigProvider, ElDatePicker, ElDescriptions, ElEmpty, ElForm, ElInput,
  ElInputNumber, ElLoading, ElPagination, ElProgress, ElRadio, ElSelect, ElSkeleton, ElSwitch, ElTable, ElTabs, ElTag,
} from 'element-plus';
import 'element-plus/dist/index.css';
import App from './App.vue';
import { router } from './router';
import { i18n, setLocale } from './i18n';
import './app.css';

const app = createApp(App);
// Each plugin registers its parts too (ElSelect its options, ElTable its columns, ElRadio its
// group and buttons, ElForm its items, ElDescriptions its items, ElTabs its panes).
const parts: Plugin[] = [
  ElAlert, ElButton, ElCard, ElColorPicker, ElConfigProvider, ElDatePicker, ElDescriptions, ElEmpty, ElForm, ElInput,
  ElInputNumber, ElLoading, ElPagination, ElProgress, ElRadio, ElSelect, ElSkeleton, ElSwitch, ElTable, ElTabs, ElTag,
];
for (const p of parts) app.use(p);
app.use(i18n);
app.use(router);
// The tab says which page it is ("渠道 · qrscene"), in the user's language.
const pageTitle = () => {
  const name = String(router.currentRoute.value.name ?? '');
  const key = name === 'new' || name === 'import' || name === 'channel' ? 'channels'
    : name.startsWith('campaign') ? 'campaigns' : name;
  document.title = i18n.global.te('nav.' + key) ? `${i18n.global.t('nav.' + key)} · qrscene` : 'qrscene';
};
router.afterEach(pageTitle);
watch(i18n.global.locale, pageTitle);
setLocale(i18n.global.locale.value as 'zh' | 'en');
app.mount('#app');
