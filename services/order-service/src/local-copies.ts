import type { Collection, Db } from 'mongodb';
import type { ProductState, UserState } from '@eventline/avro';

export type UserCopy = Omit<UserState, 'id'> & { _id: number };
export type ProductCopy = Omit<ProductState, 'id'> & { _id: number };

interface CopiesMeta {
  _id: 'copies';
  generation: number;
  /** A rebuild in progress writes here too, until it switches over. */
  building?: number;
}

export interface CopySet {
  users: Collection<UserCopy>;
  products: Collection<ProductCopy>;
}

/**
 * order-service's own copies of users and products (seed 003's "local customer table"), kept in
 * generations: reads use the active one; a replay builds the next beside it and switches when it has
 * caught up. While a generation is being built, live events are written to both.
 */
export class LocalCopies {
  private readonly meta: Collection<CopiesMeta>;

  constructor(private readonly db: Db) {
    this.meta = db.collection<CopiesMeta>('local_copies_meta');
  }

  async init(): Promise<void> {
    await this.meta.updateOne({ _id: 'copies' }, { $setOnInsert: { generation: 1 } }, { upsert: true });
  }

  generation(n: number): CopySet {
    return {
      users: this.db.collection<UserCopy>(`users_v${n}`),
      products: this.db.collection<ProductCopy>(`products_v${n}`),
    };
  }

  private async state(): Promise<CopiesMeta> {
    const meta = await this.meta.findOne({ _id: 'copies' });
    if (!meta) throw new Error('local copies are not initialised');
    return meta;
  }

  async active(): Promise<CopySet> {
    return this.generation((await this.state()).generation);
  }

  /** The generation the last read found active: where the next read looks first. */
  private lastActive: number | undefined;

  /**
   * `use` on the active generation, read beside the generation's own lookup instead of after it: on the
   * generation last seen active, then once more on the active one if a switch came between (rare: a
   * replay's end). One database round trip less per command than reading the generation first.
   */
  async readActive<T>(use: (copies: CopySet) => Promise<T>): Promise<{ copies: CopySet; result: T }> {
    const guess = this.lastActive;
    if (guess !== undefined) {
      const [{ generation }, result] = await Promise.all([this.state(), use(this.generation(guess))]);
      if (generation === guess) return { copies: this.generation(guess), result };
      this.lastActive = generation;
      return { copies: this.generation(generation), result: await use(this.generation(generation)) };
    }
    const { generation } = await this.state();
    this.lastActive = generation;
    return { copies: this.generation(generation), result: await use(this.generation(generation)) };
  }

  /** Where a live event goes: the active generation, and the one being built if any. */
  async writeTargets(): Promise<CopySet[]> {
    const { generation, building } = await this.state();
    return building === undefined ? [this.generation(generation)] : [this.generation(generation), this.generation(building)];
  }

  /** Starts a rebuild into a fresh generation; returns it. */
  async beginRebuild(): Promise<number> {
    const { generation } = await this.state();
    const next = generation + 1;
    const fresh = this.generation(next);
    await Promise.all([fresh.users.drop().catch(() => false), fresh.products.drop().catch(() => false)]);
    await this.meta.updateOne({ _id: 'copies', generation }, { $set: { building: next } });
    return next;
  }

  /** Drops a rebuild that will not be switched to: live events go to the active generation only again. */
  async abandonRebuild(): Promise<number | undefined> {
    const { building } = await this.state();
    if (building === undefined) return undefined;
    await this.meta.updateOne({ _id: 'copies', building }, { $unset: { building: '' } });
    const abandoned = this.generation(building);
    await Promise.all([abandoned.users.drop().catch(() => false), abandoned.products.drop().catch(() => false)]);
    return building;
  }

  /** The generation reads are served from. */
  async servedGeneration(): Promise<number> {
    return (await this.state()).generation;
  }

  /** Makes the rebuilt generation the active one and drops the old. */
  async switchTo(next: number): Promise<void> {
    const { generation } = await this.state();
    const switched = await this.meta.updateOne({ _id: 'copies', building: next }, { $set: { generation: next }, $unset: { building: '' } });
    if (switched.modifiedCount !== 1) throw new Error(`generation ${next} is not being built`);
    const old = this.generation(generation);
    await Promise.all([old.users.drop().catch(() => false), old.products.drop().catch(() => false)]);
  }
}
