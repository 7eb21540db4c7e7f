import { createRouter, createWebHashHistory } from 'vue-router';

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/overview' },
    { path: '/overview', name: 'overview', component: () => import('./views/OverviewPage.vue') },
    { path: '/channels', name: 'channels', component: () => import('./views/ChannelsPage.vue') },
    { path: '/channels/new', name: 'new', component: () => import('./views/ChannelNewPage.vue') },
    { path: '/channels/import', name: 'import', component: () => import('./views/ChannelImportPage.vue') },
    { path: '/channels/:id(\\d+)', name: 'channel', component: () => import('./views/ChannelPage.vue'), props: true },
    { path: '/leaderboard', name: 'leaderboard', component: () => import('./views/LeaderboardPage.vue') },
    { path: '/compare', name: 'compare', component: () => import('./views/ComparePage.vue') },
    { path: '/followers', name: 'followers', component: () => import('./views/FollowersPage.vue') },
    { path: '/conversions', name: 'conversions', component: () => import('./views/ConversionsPage.vue') },
    { path: '/campaigns', name: 'campaigns', component: () => import('./views/CampaignsPage.vue') },
    { path: '/campaigns/new', name: 'campaign-new', component: () => import('./views/CampaignNewPage.vue') },
    { path: '/campaigns/:id(\\d+)', name: 'campaign', component: () => import('./views/CampaignPage.vue'), props: true },
    { path: '/reconcile', name: 'reconcile', component: () => import('./views/ReconcilePage.vue') },
    { path: '/:rest(.*)*', redirect: '/overview' },
  ],
});
