export { NetClient, type NetReceiver, type NetClientStats, type NetClientOptions, type NetClientKind, type ReceiveResult, type SendResult, type FrameObserver, type FrameOffload, newFrameOffload, OFFLOAD_CSUM, OFFLOAD_TSO4, OFFLOAD_TSO6, OFFLOAD_ALL } from './client.js';
export { NetQueue, DEFAULT_QUEUE_LIMITS, type QueueLimits } from './queue.js';
export { Hub, HubPort, HubRegistry } from './hub.js';
