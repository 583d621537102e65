import { router } from '../trpc.js';
import { alertsRouter } from './alerts.js';
import { brokersRouter } from './brokers.js';
import { dashboardRouter } from './dashboard.js';
import { exposuresRouter } from './exposures.js';
import { profileRouter } from './profile.js';
import { scansRouter } from './scans.js';
import { subscriptionRouter } from './subscription.js';

export const appRouter = router({
  dashboard: dashboardRouter,
  alerts: alertsRouter,
  exposures: exposuresRouter,
  profile: profileRouter,
  subscription: subscriptionRouter,
  brokers: brokersRouter,
  scans: scansRouter,
});

/** Import this type (only the type) in a client: createTRPCClient<AppRouter>(...). */
export type AppRouter = typeof appRouter;
