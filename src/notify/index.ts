// The notification engine's public face: what deploy, monitor, rollback, the TUI and
// `rollout notify` import.
export type { ChannelOutcome, DeliveryReport, Notification, NotificationType, Notifier } from './types.js';
export { NOTIFICATION_TYPES } from './types.js';
export { createNotifier, sendAlongside, dedupePath, type AlongsideResult, type NotifierOptions } from './notifier.js';
export { DEFAULT_SEVERITY, severityOf, titleOf, plainText } from './format.js';
export { summarizeDelivery, NOBODY_NOTIFIED, type DeliverySummary } from './summary.js';
