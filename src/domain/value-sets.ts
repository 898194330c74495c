/**
 * The closed value sets of the product model. Each is defined once, here: the CRM catalogue
 * (HubSpot dropdown options, inbound parsers), the repositories' types, the API's zod enums and the
 * migrations' CHECK constraints all use these (test/foundation/catalogue.test.ts compares the
 * constraints with them). Adding a value is a change here plus a migration.
 */

export const ACCOUNT_STATUSES = ['active', 'suspended', 'churned'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const CUSTOMER_TIERS = ['starter', 'growth', 'enterprise'] as const;
export type CustomerTier = (typeof CUSTOMER_TIERS)[number];

export const PAYMENT_METHODS = ['card', 'ach', 'wire'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const PAYMENT_STATUSES = ['current', 'past_due', 'suspended'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const RESPORG_STATUSES = ['none', 'pending', 'active'] as const;
export type ResporgStatus = (typeof RESPORG_STATUSES)[number];

export const USER_ROLES = ['admin', 'developer', 'billing', 'readonly'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const TRUNK_STATUSES = ['active', 'suspended', 'limited', 'disabled'] as const;
export type TrunkStatus = (typeof TRUNK_STATUSES)[number];

export const NUMBER_TYPES = ['local', 'tollfree', 'mobile'] as const;
export type NumberType = (typeof NUMBER_TYPES)[number];

export const NUMBER_CAPABILITIES = ['voice', 'sms', 'mms', 'fax'] as const;
export type NumberCapability = (typeof NUMBER_CAPABILITIES)[number];

/** Not a HubSpot property: the number's life cycle in WARP (`pending_release` after churn). */
export const NUMBER_STATUSES = ['active', 'porting', 'pending_release', 'released'] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number];

export const TICKET_ISSUE_TYPES = ['voice', 'sms', 'billing', 'api', 'portal'] as const;
export const TICKET_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type TicketSeverity = (typeof TICKET_SEVERITIES)[number];

/** The sixteen ticket categories, four per issue type (domain/support.ts groups them). */
export const TICKET_CATEGORIES_BY_TYPE = {
  voice: ['call_quality', 'call_failures', 'routing_problems', 'codec_issues'],
  sms: ['sms_delivery_failures', 'registration_10dlc', 'mms_problems', 'campaign_issues'],
  billing: ['invoice_disputes', 'payment_failures', 'tax_questions', 'rate_inquiries'],
  api: ['api_errors', 'integration_help', 'configuration_assistance', 'number_porting'],
} as const;
export const TICKET_CATEGORIES = Object.values(TICKET_CATEGORIES_BY_TYPE).flat();
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];

/** TCR's standard campaign use cases (special ones need carrier vetting and are not offered). */
export const CAMPAIGN_USE_CASES = [
  '2FA',
  'ACCOUNT_NOTIFICATION',
  'CUSTOMER_CARE',
  'DELIVERY_NOTIFICATION',
  'FRAUD_ALERT',
  'HIGHER_EDUCATION',
  'LOW_VOLUME',
  'M2M',
  'MARKETING',
  'MIXED',
  'POLLING_VOTING',
  'PUBLIC_SERVICE_ANNOUNCEMENT',
  'SECURITY_ALERT',
] as const;
export type CampaignUseCase = (typeof CAMPAIGN_USE_CASES)[number];

/** Churn risk of a customer (docs/revenue.md "Churn analysis"). */
export const CHURN_RISKS = ['low', 'medium', 'high'] as const;
export type ChurnRisk = (typeof CHURN_RISKS)[number];
