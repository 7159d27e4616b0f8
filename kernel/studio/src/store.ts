// The page's live state: one connection, one subscription to every event the grants allow, a bounded
// ring of recent events and the jobs seen, with listeners that redraw at most once per frame.
import { ReelkitClient, type EventMessage, type JobInfo } from "./reelkit";

export interface StoredEvent {
  seq: number;
  at: number;
  topic: string;
  event: unknown;
}

const CAPACITY = 100_000;

export class Store {
  readonly events: StoredEvent[] = [];
  readonly jobs = new Map<string, JobInfo>();
  /** Jobs this page started (rpc.cancel is allowed for them). */
  readonly mine = new Set<string>();
  received = 0;
  private seq = 0;
  private listeners = new Set<() => void>();
  private scheduled = false;
  private waiters = new Map<string, ((job: JobInfo) => void)[]>();

  constructor(readonly client: ReelkitClient) {}

  static async open(): Promise<Store> {
    const url = `ws://${location.host}/`;
    const client = await ReelkitClient.connect(url); // the session cookie authenticates
    const store = new Store(client);
    await client.subscribe("*", (m) => store.add(m));
    try {
      const listed = await client.invoke("kernel.jobs", {});
      for (const job of listed.jobs) store.jobs.set(job.job_id, job);
    } catch {
      /* kernel.jobs not granted: only jobs seen from now on */
    }
    return store;
  }

  private add(m: EventMessage): void {
    this.received++;
    this.events.push({ seq: ++this.seq, at: Date.now(), topic: m.topic, event: m.event });
    if (this.events.length > CAPACITY) this.events.splice(0, this.events.length - CAPACITY);
    if (m.topic.startsWith("job.")) {
      const job = (m.event as { job?: JobInfo }).job;
      if (job) {
        this.jobs.set(job.job_id, job);
        if (["succeeded", "failed", "cancelled"].includes(job.state)) {
          for (const resolve of this.waiters.get(job.job_id) ?? []) resolve(job);
          this.waiters.delete(job.job_id);
        }
      }
    }
    this.changed();
  }

  /** Follow a job to its end (from its job.* events). */
  async follow(jobId: string): Promise<JobInfo> {
    this.mine.add(jobId);
    const known = this.jobs.get(jobId);
    if (known && ["succeeded", "failed", "cancelled"].includes(known.state)) return known;
    return new Promise((resolve) => this.waiters.set(jobId, [...(this.waiters.get(jobId) ?? []), resolve]));
  }

  async cancel(jobId: string): Promise<void> {
    if (this.mine.has(jobId)) await this.client.cancel(jobId);
    else await this.client.invoke("kernel.job_cancel", { job_id: jobId });
  }

  /** Call `fn` after changes, at most once per animation frame. */
  listen(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    });
  }
}
