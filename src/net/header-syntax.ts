/**
 * What HTTP/1.1 lets a request header hold. The config refuses a model header outside it (a config error, with the
 * header's name) and http1.ts refuses it again as it sends: a value with a line break could end the head early and
 * add headers of its own. Kept apart from http1.ts so that reading the config loads no socket code.
 */
/** A header name, or a method: RFC 9110's token. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value as node:http also accepts it: no control character but tab, nothing beyond Latin-1. */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
