import type { Static } from '@sinclair/typebox';
import type { Audience, Preview } from '../../../src/server/schemas/audience-api.ts';
import type { LoginView, MeView } from '../../../src/server/schemas/auth-api.ts';
import type { CampaignList, CampaignView, EstimateView } from '../../../src/server/schemas/campaigns-api.ts';
import type {
  CampaignProgressView,
  CampaignTotalsView,
  CopyCampaignView,
} from '../../../src/server/schemas/campaign-tasks-api.ts';
import type { UserChurnRiskView } from '../../../src/server/schemas/churn-model-api.ts';
import type {
  ActivityView,
  AuditView,
  ConsoleUserView,
  FunnelView,
  RiskView,
  TeamView,
} from '../../../src/server/schemas/console-data-api.ts';
import type { ChurnStructureView } from '../../../src/server/schemas/scores-api.ts';
import type {
  DeadLetterDto,
  OutboxSummaryView,
  UserDecisionView,
} from '../../../src/server/schemas/outbox-api.ts';
import type { ValueModelView, ValueWarningView } from '../../../src/server/schemas/value-model-api.ts';
import type { AudienceWarning, Attributes, EventNames } from '../../../src/server/schemas/metadata-api.ts';
import type { PortraitDto } from '../../../src/server/schemas/audience-portrait-api.ts';

/**
 * The management API's answers as the console reads them, derived from the server's TypeBox
 * response schemas (src/server/schemas/): an answer that changes shape fails the console's type
 * check instead of rendering wrong. Type-only imports, erased by the build: no server code
 * reaches the bundle. Answers whose schemas still live in route files (reports, providers, jobs,
 * planner resources) are declared by the features that read them until the schemas move here.
 */

/** `POST /v1/auth/login`. */
export type LoginAnswer = Static<typeof LoginView>;
/** `GET /v1/auth/me`; the session keeps the part a login answer has too. */
export type Me = Pick<Static<typeof MeView>, 'user' | 'workspace'>;

/** `GET /v1/audiences` (each), `POST /v1/audiences`. */
export type SavedAudience = Static<typeof Audience>;
/** `POST /v1/audiences/preview`: the live count and a sample with masked contacts. */
export type AudiencePreview = Static<typeof Preview>;
/** A name in an audience the warehouse has never seen (preview, validate and save answers). */
export type AudienceWarningView = Static<typeof AudienceWarning>;
/** `GET /v1/metadata/events` and `GET /v1/metadata/attributes`: the builder's pickers. */
export type EventNamesAnswer = Static<typeof EventNames>;
export type AttributesAnswer = Static<typeof Attributes>;
/** `GET /v1/audiences` (the route's list of the schema's Audience). */
export interface AudienceListAnswer {
  audiences: SavedAudience[];
}
/** `GET /v1/audiences/:id/portrait`, `POST /v1/audiences/portrait`: members by channel, city, stage, tier, risk. */
export type AudiencePortrait = PortraitDto;

/** `GET /v1/campaigns/:id`, and each of `GET /v1/campaigns`. */
export type Campaign = Static<typeof CampaignView>;
export type CampaignStatus = Campaign['status'];
export type CampaignListAnswer = Static<typeof CampaignList>;
/** `GET /v1/campaigns/:id/progress`, `GET /v1/campaign-totals`, `POST /v1/campaigns/:id/copy`. */
export type CampaignProgress = Static<typeof CampaignProgressView>;
export type CampaignTotals = Static<typeof CampaignTotalsView>;
export type CopyAnswer = Static<typeof CopyCampaignView>;
/** `POST /v1/campaigns/:id/estimate`. */
export type Estimate = Static<typeof EstimateView>;
/** The estimate's `cost` (the schema leaves it open): fen in every money field. */
export type { CostEstimate } from '../../../src/core/cost/calculator.ts';

/** `GET /v1/console/activity`. */
export type Activity = Static<typeof ActivityView>;
/** `GET /v1/console/risk`. */
export type RiskDistribution = Static<typeof RiskView>;
/** `GET /v1/console/funnel`. */
export type Funnel = Static<typeof FunnelView>;
/** `GET /v1/analysis/churn-structure`. */
export type ChurnStructure = Static<typeof ChurnStructureView>;
/** `GET /v1/scores/value-model`: the latest customer-value model run and its warnings. */
export type ValueModel = Static<typeof ValueModelView>;
export type ValueModelWarning = Static<typeof ValueWarningView>;

/** `GET /v1/console/users/:id`: profile (contacts masked), scores, events, messages. */
export type ConsoleUser = Static<typeof ConsoleUserView>;
/** `GET /v1/users/:id/churn-risk`. */
export type UserChurnRisk = Static<typeof UserChurnRiskView>;

/** `GET /v1/console/audit`. */
export type AuditAnswer = Static<typeof AuditView>;
export type AuditEntry = AuditAnswer['entries'][number];
/** `GET /v1/console/team`. */
export type TeamAnswer = Static<typeof TeamView>;
export type TeamMember = TeamAnswer['users'][number];

/** `GET /v1/outbox/summary`, `GET /v1/outbox/dead-letters` (each), `GET /v1/campaigns/:id/users/:userId/decision`. */
export type OutboxSummary = Static<typeof OutboxSummaryView>;
export type DeadLetter = Static<typeof DeadLetterDto>;
export type UserDecision = Static<typeof UserDecisionView>;
