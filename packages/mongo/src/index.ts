export { isTransientMongoError } from './transient';
