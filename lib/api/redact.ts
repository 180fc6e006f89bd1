/**
 * Secrets out of anything the API writes: the request log's error field and error bodies. Error
 * messages come from libraries and origins we do not control (an S3-compatible store may echo the
 * access key id it was sent; a location may be a presigned URL), so credentials are masked by their
 * shape: passwords in URIs, cloud access key ids, and signature / token / key query parameters.
 */
const PATTERNS: [RegExp, string][] = [
  // user:password@ in any URI (mysql://, https://, …)
  [/([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/gi, '$1:***@'],
  // AWS (AKIA…, ASIA…), Aliyun (LTAI…) and Tencent Cloud (AKID…) access key ids
  [/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, '***'],
  [/\bLTAI[A-Za-z0-9]{8,}\b/g, '***'],
  [/\bAKID[A-Za-z0-9]{8,}\b/g, '***'],
  // presigned-URL and credential parameters, in a query or in a message
  [/\b(X-Amz-(?:Credential|Signature|Security-Token)|Signature|OSSAccessKeyId|AccessKeyId|SecretAccessKey|AccessKeySecret|security-token|q-ak|q-signature|x-cos-security-token|api_key|sig|password|passwd|secret|token)=[^&\s"'<>,;)]+/gi, '$1=***'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  return out;
}
