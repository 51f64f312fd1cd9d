import type { Logger as CoreLogger } from '@signalbox/core';
import winston from 'winston';
import type { LogLevel } from './config';

const SECRET_FIELD = /pass(word)?|secret|token|authori[sz]ation|cookie|api_?key|^key$/i;
const KEY_LIKE = /sbx_[A-Za-z0-9_-]{6,}/g;
const URL_PASSWORD = /(\w+:\/\/[^:/@\s]+:)[^@\s]+@/g;

/** Removes secrets from a log entry: fields named like secrets, API keys and passwords in URLs inside strings. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(KEY_LIKE, 'sbx_[redacted]').replace(URL_PASSWORD, '$1[redacted]@');
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return redact(value.stack ?? value.message, depth + 1);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'timestamp') continue;
    (info as Record<string, unknown>)[key] = SECRET_FIELD.test(key) ? '[redacted]' : redact((info as Record<string, unknown>)[key]);
  }
  return info;
});

/** JSON lines on stdout, one object per event, secrets removed. */
export function createLogger(level: LogLevel, stream?: NodeJS.WritableStream): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json()),
    defaultMeta: { service: 'signalbox-api' },
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
}

/** The core's logging port on winston. */
export const coreLogger = (logger: winston.Logger): CoreLogger => ({
  info: (message, meta) => logger.info(message, meta),
  warn: (message, meta) => logger.warn(message, meta),
  error: (message, meta) => logger.error(message, meta),
});
