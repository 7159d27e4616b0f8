// Must NOT compile: each line misuses the generated bindings (test_typescript.py expects these errors).
import { JobResults, ReelkitClient } from "./reelkit";

export async function misuse(client: ReelkitClient): Promise<void> {
  await client.invoke("ipcdemo.add_numbers", { a: "two" });        // MISUSE-1 a is a number
  await client.invoke("ipcdemo.no_such_command", {});              // MISUSE-2 unknown command id
  const out = await client.invoke("ipcdemo.add_numbers", { a: 1 });
  const s: string = out.total;                                     // MISUSE-3 total is a number
  await client.invoke("ipcdemo.add_numbers");                      // MISUSE-4 a is required
  await client.subscribe("ipcdemo.note.posted", (m) => m.event.nope); // MISUSE-5 no such field
  const r: JobResults["ipcdemo.count_up"] = { counted: "five" };  // MISUSE-6 counted is a number
  void s;
  void r;
}
