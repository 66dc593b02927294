import { createDatabase, isolatedKafkaEnvironment, uniqueName, urls } from '@eventline/testkit';
export { readWholeTopic } from '@eventline/testkit';

/** Stores, Kafka names and schemas of one isolated ECST environment (its own databases and topic prefix). */
export interface EcstEnvironment {
  prefix: string;
  users: NodeJS.ProcessEnv;
  products: NodeJS.ProcessEnv;
  orders: NodeJS.ProcessEnv;
}

export async function ecstEnvironment(): Promise<EcstEnvironment> {
  const { prefix, common } = await isolatedKafkaEnvironment();
  return {
    prefix,
    users: { ...common, DATABASE_URL: await createDatabase('users') },
    products: { ...common, DATABASE_URL: await createDatabase('product') },
    orders: { ...common, MONGO_URL: urls.mongo, MONGO_DB: uniqueName('orders') },
  };
}
