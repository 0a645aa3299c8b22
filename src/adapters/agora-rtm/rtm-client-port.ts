import type { RTMClient, RTMHistory, RTMStorage } from 'agora-rtm-sdk';

/**
 * The slice of agora-rtm-sdk's client that Cutover uses, taken from the SDK's own declarations so
 * that an API change in the SDK breaks our build (and the fake's) instead of production.
 * Type-only: importing this never loads the SDK, so the main thread stays free of DOM globals.
 */
export type RtmClientPort = Pick<
  RTMClient,
  'login' | 'logout' | 'publish' | 'renewToken' | 'addEventListener' | 'subscribe' | 'unsubscribe'
> & {
  history: Pick<RTMHistory, 'getMessages'>;
  /** User and channel metadata: where a migration puts everything that is not a message. */
  storage: Pick<
    RTMStorage,
    | 'setUserMetadata'
    | 'getUserMetadata'
    | 'removeUserMetadata'
    | 'setChannelMetadata'
    | 'getChannelMetadata'
    | 'removeChannelMetadata'
  >;
};

/** What `workerData.clientModule` must export to stand in for the SDK (tests only). */
export interface RtmClientModule {
  createRtmClient(appId: string, userId: string): RtmClientPort;
}
