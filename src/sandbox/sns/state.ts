/**
 * SNS state of one account of the sandbox: topics per region (the region comes from each request's SigV4 credential scope,
 * as on AWS, where a topic lives in one region), and every message published, in order, for tests to read.
 */

export const SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

/** The topic every sandbox starts with, in its own region: where `upg drift --notify` can publish. */
export const SEEDED_TOPIC_NAME = "upg-alerts";

export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64, as sent on the wire. */
  BinaryValue?: string;
}

/** One recorded Publish (GET /_sandbox/sns/messages). */
export interface SnsMessage {
  messageId: string;
  topicArn: string;
  region: string;
  subject?: string;
  message: string;
  attributes: Record<string, SnsMessageAttribute>;
  /** ISO time the sandbox accepted it. */
  publishedAt: string;
}

export interface SnsTopic {
  arn: string;
  name: string;
  region: string;
  attributes: Map<string, string>;
  tags: Map<string, string>;
}

export function topicArn(region: string, accountId: string, name: string): string {
  return `arn:aws:sns:${region}:${accountId}:${name}`;
}

export class SnsState {
  /** region → topic name → topic. */
  private readonly topics = new Map<string, Map<string, SnsTopic>>();

  /** `messages` may be shared by the SNS states of several accounts (one log of everything published). */
  constructor(
    readonly accountId: string,
    readonly defaultRegion: string,
    readonly messages: SnsMessage[] = [],
  ) {
    this.seed();
  }

  /** The seeded topic's ARN (in the sandbox's own region). */
  get seededTopicArn(): string {
    return topicArn(this.defaultRegion, this.accountId, SEEDED_TOPIC_NAME);
  }

  private regionTopics(region: string): Map<string, SnsTopic> {
    let m = this.topics.get(region);
    if (!m) {
      m = new Map();
      this.topics.set(region, m);
    }
    return m;
  }

  /** Idempotent, as on AWS: the same name in the same region gives the same topic. */
  createTopic(
    region: string,
    name: string,
    attributes: Map<string, string>,
    tags: Map<string, string>,
  ): SnsTopic {
    const topics = this.regionTopics(region);
    const existing = topics.get(name);
    if (existing) return existing;
    const topic: SnsTopic = { arn: topicArn(region, this.accountId, name), name, region, attributes, tags };
    topics.set(name, topic);
    return topic;
  }

  deleteTopic(topic: SnsTopic): void {
    this.topics.get(topic.region)?.delete(topic.name);
  }

  getTopic(region: string, name: string): SnsTopic | undefined {
    return this.topics.get(region)?.get(name);
  }

  /** The topics of one region, sorted by ARN. */
  listTopics(region: string): SnsTopic[] {
    return [...(this.topics.get(region)?.values() ?? [])].sort((a, b) => (a.arn < b.arn ? -1 : 1));
  }

  /** Every topic of every region, sorted by ARN. */
  allTopics(): SnsTopic[] {
    return [...this.topics.values()].flatMap((m) => [...m.values()]).sort((a, b) => (a.arn < b.arn ? -1 : 1));
  }

  /** Replace every topic with `topics` (a saved sandbox state); messages are not kept across restarts. */
  restoreTopics(topics: readonly SnsTopic[]): void {
    this.topics.clear();
    for (const t of topics) this.regionTopics(t.region).set(t.name, t);
  }

  record(message: SnsMessage): void {
    this.messages.push(message);
  }

  clearMessages(): void {
    this.messages.length = 0;
  }

  /** Back to the start: no messages, only the seeded topic. */
  reset(): void {
    this.topics.clear();
    this.clearMessages();
    this.seed();
  }

  private seed(): void {
    this.createTopic(this.defaultRegion, SEEDED_TOPIC_NAME, new Map(), new Map());
  }
}
