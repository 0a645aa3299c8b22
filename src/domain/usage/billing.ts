/**
 * How a side counts what it bills. `message`: one unit per message sent (incumbents that bill per
 * message or per MAU, where messages are only informative). `rtm-1kb`: Agora RTM's rule, 1 KB
 * units, the send and every receive counted apart, so a message to a user is 2 × its units and
 * one to a channel of N receivers is (N + 1) × its units (docs/cost.md).
 */
export type BillingUnit = 'message' | 'rtm-1kb';

export const RTM_UNIT_BYTES = 1024;

/** Units one delivered message costs, `bytes` being what the side stores (payload and envelope). */
export function billableUnits(unit: BillingUnit, bytes: number, receivers: number): number {
  if (unit === 'message') return 1;
  return Math.max(1, Math.ceil(bytes / RTM_UNIT_BYTES)) * (1 + Math.max(0, receivers));
}

/**
 * A side's price list: a monthly package with units included, then a price per unit over, and
 * where the side also bills peak concurrent users (Agora RTM's PCU), those included and a price
 * per user over.
 */
export interface PriceTable {
  unit: BillingUnit;
  currency: string;
  packageFee: number;
  includedUnits: number;
  overagePerUnit: number;
  /** Peak concurrent users the package includes (0 when absent). */
  includedConcurrentUsers?: number;
  /** Price of each concurrent user of the month's peak past the included ones; absent: not billed. */
  overagePerConcurrentUser?: number;
  /** Alert when the month's projected bill passes this; none when absent. */
  budget?: number;
  /** Receivers a channel message is taken to reach (rtm-1kb): Cutover does not see subscriptions. */
  channelReceivers?: number;
}

export interface Bill {
  units: number;
  packageFee: number;
  overageUnits: number;
  /** The price of the units over. */
  overage: number;
  /** The month's peak of concurrent users the bill is for. */
  peakConcurrentUsers: number;
  overageConcurrentUsers: number;
  /** The price of the concurrent users over. */
  concurrentUsersOverage: number;
  total: number;
}

/** What `units` and a peak of `peakConcurrentUsers` in a month cost under `price`. */
export function billFor(price: PriceTable, units: number, peakConcurrentUsers = 0): Bill {
  const overageUnits = Math.max(0, units - price.includedUnits);
  const overage = overageUnits * price.overagePerUnit;
  // A side without a price per concurrent user does not bill them: none are over.
  const perUser = price.overagePerConcurrentUser;
  const overageConcurrentUsers = perUser === undefined ? 0 : Math.max(0, peakConcurrentUsers - (price.includedConcurrentUsers ?? 0));
  const concurrentUsersOverage = perUser === undefined ? 0 : overageConcurrentUsers * perUser;
  return {
    units, packageFee: price.packageFee, overageUnits, overage,
    peakConcurrentUsers, overageConcurrentUsers, concurrentUsersOverage,
    total: price.packageFee + overage + concurrentUsersOverage,
  };
}
