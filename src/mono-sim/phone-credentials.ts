/**
 * The development credentials of the simulator's fake SMS and WhatsApp providers (phone-providers.ts): public
 * values, accepted by the service only in development mode (src/activities/notify/phone-config.ts), like the simulator's Mono key.
 */
export interface SimPhoneCredentials {
  atUsername: string;
  atApiKey: string;
  atCallbackKey: string;
  waPhoneNumberId: string;
  waAccessToken: string;
  waAppSecret: string;
  waVerifyToken: string;
}

export const SIM_PHONE_CREDENTIALS: Readonly<SimPhoneCredentials> = Object.freeze({
  atUsername: 'sandbox',
  atApiKey: 'dev-africastalking-api-key',
  atCallbackKey: 'dev-africastalking-callback-key',
  waPhoneNumberId: '100000000000001',
  waAccessToken: 'dev-whatsapp-access-token',
  waAppSecret: 'dev-whatsapp-app-secret',
  waVerifyToken: 'dev-whatsapp-verify-token',
});
