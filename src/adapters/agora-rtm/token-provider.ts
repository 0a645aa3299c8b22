/** Where the RTM login token comes from; asked again on every (re-)login and renewal. */
export interface TokenProvider {
  token(): Promise<string>;
}

/** A token fixed in config. Renewal hands back the same token, so it must outlive the process. */
export class StaticTokenProvider implements TokenProvider {
  constructor(private readonly value: string) {}

  token(): Promise<string> {
    return Promise.resolve(this.value);
  }
}
