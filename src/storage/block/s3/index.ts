export { S3Remote, type S3RemoteOptions } from './s3-remote.js';
