export { NetClient, type NetReceiver, type NetClientStats, type NetClientOptions, type NetClientKind, type ReceiveResult, type SendResult, type FrameObserver, type FrameOffload, newFrameOffload } from './client.js';
export { NetQueue, DEFAULT_QUEUE_LIMITS, type QueueLimits } from './queue.js';
export { Hub, HubPort, HubRegistry } from './hub.js';
