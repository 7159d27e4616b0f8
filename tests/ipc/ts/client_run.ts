// Runs the generated client against a live `reelkit` WebSocket server (started by test_typescript.py).
// Every call below is type-checked against the generated Commands/Events maps.
import { ReelkitClient, RpcError, EventMessage, JobInfo, jobResult } from "./reelkit";

declare const process: { argv: string[]; exit(code: number): never };

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error("check failed: " + what);
}

async function main(): Promise<void> {
  const [url, token, frontToken] = process.argv.slice(2);
  const client = await ReelkitClient.connect(url, { token, timeoutMs: 10000 });

  const sum = await client.invoke("ipcdemo.add_numbers", { a: 2, b: 40 });
  const total: number = sum.total;  // typed: AddOut.total is a number
  check(total === 42, "add_numbers total");

  const posted: EventMessage<"ipcdemo.note.posted">[] = [];
  const sub = await client.subscribe("ipcdemo.note.posted", (m) => {
    const text: string = m.event.text;  // typed by the topic
    posted.push(m);
    void text;
  });
  await client.invoke("ipcdemo.post_note", { text: "from node", tags: ["ts"] });

  const finished = new Promise<JobInfo>((resolve) => {
    void client.subscribe("job.succeeded", (m) => resolve(m.event.job));
  });
  const progress: number[] = [];
  await client.subscribe("job.progressed", (m) => {
    if (m.event.job.progress.fraction != null) progress.push(m.event.job.progress.fraction);
  });
  const ref = await client.invoke("ipcdemo.count_up", { steps: 5, delay: 0.001 });
  const job = await finished;
  check(job.job_id === ref.job_id && job.state === "succeeded", "job succeeded");
  const counted: number = jobResult("ipcdemo.count_up", job).counted;  // the job's typed result
  check(counted === 5, "job result");
  check(progress.length > 0, "progress events");
  check(posted.length === 1 && posted[0].event.text === "from node", "note event");
  await sub.unsubscribe();

  // a long job, cancelled by this client
  const cancelled = new Promise<string>((resolve) => {
    void client.subscribe("job.cancelled", (m) => resolve(m.event.job.job_id));
  });
  const long = await client.invoke("ipcdemo.count_up", { steps: 100000, delay: 0.01 });
  await client.cancel(long.job_id);
  check((await cancelled) === long.job_id, "job cancelled");

  // errors carry reelkit's code
  let kind = "";
  try {
    await client.invoke("ipcdemo.add_numbers", { a: 1, b: 2, c: 3 } as any);
  } catch (e) {
    kind = (e as RpcError).kind ?? "";
  }
  check(kind === "input.invalid", "input.invalid error, got " + kind);

  const front = await ReelkitClient.connect(url, { token: frontToken });
  let denied = "";
  try {
    await front.invoke("vault.secret_get", { name: "db" });
  } catch (e) {
    denied = (e as RpcError).kind ?? "";
  }
  check(denied === "permission.denied", "frontend token denied the secret");
  const names = (await front.discover()).methods.map((m) => m.name);
  check(!names.includes("vault.secret_get") && names.includes("ipcdemo.add_numbers"), "discover filtered");

  let refused = false;
  try {
    await ReelkitClient.connect(url, { token: "wrong-token" });
  } catch {
    refused = true;
  }
  check(refused, "wrong token refused");

  front.close();
  client.close();
  console.log(JSON.stringify({ ok: true, total, progress: progress.length }));
}

main().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
