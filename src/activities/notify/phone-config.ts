/**
 * The configuration of the owner's phone channels (NOTIFY_CHANNELS `sms`, `whatsapp`): Africa's Talking, the
 * WhatsApp Cloud API, their callbacks, and the key that names phone numbers. Part of the environment schema
 * (config.ts); a channel that is on needs its provider's variables outside development, where development
 * defaults (the simulator's fake providers and their public credentials) are refused. Secrets are never echoed.
 */
import { z } from 'zod';
import { secretProblem } from '../../lib/exposure.js';
import { SIM_PHONE_CREDENTIALS } from '../../mono-sim/phone-credentials.js';

const emptyAsUnset = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const optional = z.preprocess(emptyAsUnset, z.string().optional());
const optionalUrl = z.preprocess(emptyAsUnset, z.url().optional());

export const AT_LIVE_URL = 'https://api.africastalking.com';
export const WHATSAPP_GRAPH_URL = 'https://graph.facebook.com/v21.0';
const DEV_PHONE_LOOKUP_SECRET = 'dev-phone-lookup-secret';
const MIN_SECRET_LENGTH = 32;

export const PHONE_ENV = {
  AT_API_URL: optionalUrl,
  AT_USERNAME: optional,
  AT_API_KEY: optional,
  AT_SENDER_ID: z.preprocess(emptyAsUnset, z.string().max(11, 'a sender id has at most 11 characters').optional()),
  AT_CALLBACK_KEY: optional,
  WHATSAPP_API_URL: optionalUrl,
  WHATSAPP_PHONE_NUMBER_ID: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^\d{5,20}$/, 'is the digits of a phone number id')
      .optional()
  ),
  WHATSAPP_ACCESS_TOKEN: optional,
  WHATSAPP_APP_SECRET: optional,
  WHATSAPP_VERIFY_TOKEN: optional,
  PHONE_LOOKUP_SECRET: optional,
};

/** The secrets among them (each may come from NAME_FILE). */
export const PHONE_SECRET_VARIABLES = [
  'AT_API_KEY',
  'AT_CALLBACK_KEY',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'PHONE_LOOKUP_SECRET',
] as const;

type PhoneEnv = z.output<z.ZodObject<typeof PHONE_ENV>>;

/** What each channel needs outside development; in development the simulator's credentials stand in. */
const REQUIRED = {
  sms: ['AT_USERNAME', 'AT_API_KEY', 'AT_CALLBACK_KEY', 'PHONE_LOOKUP_SECRET'],
  whatsapp: [
    'WHATSAPP_PHONE_NUMBER_ID',
    'WHATSAPP_ACCESS_TOKEN',
    'WHATSAPP_APP_SECRET',
    'WHATSAPP_VERIFY_TOKEN',
    'PHONE_LOOKUP_SECRET',
  ],
} as const;

/** Refused outside development: a missing variable, a weak secret, an http:// provider URL. */
export function phoneChannelProblems(e: PhoneEnv, channels: readonly string[]): string[] {
  const problems: string[] = [];
  for (const channel of ['sms', 'whatsapp'] as const) {
    if (!channels.includes(channel)) continue;
    for (const variable of REQUIRED[channel]) {
      if (!e[variable]) problems.push(`${variable}: is required when NOTIFY_CHANNELS has ${channel}`);
    }
  }
  for (const variable of [
    'AT_CALLBACK_KEY',
    'WHATSAPP_APP_SECRET',
    'WHATSAPP_VERIFY_TOKEN',
    'PHONE_LOOKUP_SECRET',
  ] as const) {
    const value = e[variable];
    const problem = value ? secretProblem(value, MIN_SECRET_LENGTH) : undefined;
    if (problem && !problems.some((p) => p.startsWith(`${variable}:`))) problems.push(`${variable}: ${problem}`);
  }
  for (const variable of ['AT_API_URL', 'WHATSAPP_API_URL'] as const) {
    const url = e[variable];
    if (url && !url.startsWith('https://')) problems.push(`${variable}: must be an https:// URL outside development`);
  }
  return [...new Set(problems)];
}

/**
 * The phone channels' settings. `simulator`: development with the Mono simulator, where unset provider URLs mean
 * the simulator's fake providers (the worker fills in its address, worker-role.ts) and unset credentials theirs.
 */
export function phoneSettings(e: PhoneEnv, development: boolean, simulator: boolean) {
  const dev = SIM_PHONE_CREDENTIALS;
  const or = (value: string | undefined, fallback: string): string => value ?? (development ? fallback : '');
  return {
    sms: {
      /** Empty: the simulator's, filled in by the worker that starts it. */
      apiUrl: e.AT_API_URL ?? (simulator ? '' : AT_LIVE_URL),
      username: or(e.AT_USERNAME, dev.atUsername),
      apiKey: or(e.AT_API_KEY, dev.atApiKey),
      ...(e.AT_SENDER_ID && { senderId: e.AT_SENDER_ID }),
    },
    whatsapp: {
      apiUrl: e.WHATSAPP_API_URL ?? (simulator ? '' : WHATSAPP_GRAPH_URL),
      phoneNumberId: or(e.WHATSAPP_PHONE_NUMBER_ID, dev.waPhoneNumberId),
      accessToken: or(e.WHATSAPP_ACCESS_TOKEN, dev.waAccessToken),
    },
    /** What the inbound callbacks check: the key in Africa's Talking's callback URLs, Meta's app secret and token. */
    callbacks: {
      atCallbackKey: or(e.AT_CALLBACK_KEY, dev.atCallbackKey),
      waAppSecret: or(e.WHATSAPP_APP_SECRET, dev.waAppSecret),
      waVerifyToken: or(e.WHATSAPP_VERIFY_TOKEN, dev.waVerifyToken),
    },
    /** The key of the HMAC by which opt-outs find a number: changing it forgets every opt-out. */
    lookupSecret: or(e.PHONE_LOOKUP_SECRET, DEV_PHONE_LOOKUP_SECRET),
  };
}

export type PhoneSettings = ReturnType<typeof phoneSettings>;
