// Studio's entry point: connect (the session cookie authenticates), then route #page/arg to a page.
import "./studio.css";
import { commandsPage } from "./commands";
import { detectionsPage } from "./detections";
import { fill, h } from "./dom";
import { eventsPage } from "./events";
import { mediaPage } from "./media";
import { overviewPage } from "./overview";
import { pluginsPage } from "./plugins";
import { renderPage } from "./render";
import { Store } from "./store";

const PAGES: Record<string, (store: Store, arg?: string) => HTMLElement> = {
  overview: overviewPage,
  commands: commandsPage,
  events: eventsPage,
  media: mediaPage,
  render: renderPage,
  detections: detectionsPage,
  plugins: pluginsPage,
};

async function boot(): Promise<void> {
  const root = document.getElementById("app")!;
  const nav = h("nav", {}, h("b", { class: "logo" }, "reelkit studio"),
    ...Object.keys(PAGES).map((name) => h("a", { href: `#${name}`, id: `nav-${name}` }, name[0].toUpperCase() + name.slice(1))));
  const conn = h("span", { id: "connection", class: "muted" }, "connecting…");
  const main = h("main", { id: "page" });
  fill(root, h("header", {}, nav, conn), main);
  let store: Store;
  try {
    store = await Store.open();
  } catch (e) {
    conn.textContent = "not connected";
    fill(main, h("p", { class: "error" }, `cannot connect: ${(e as Error).message}; log in again with reelkit studio`));
    return;
  }
  conn.textContent = "connected";
  store.client.onclose = (code, reason) => { conn.textContent = `disconnected (${code}${reason ? ": " + reason : ""})`; };
  let current: HTMLElement | null = null;
  let currentName = "";
  const route = () => {
    const [name, ...rest] = (location.hash.slice(1) || "overview").split("/");
    const arg = rest.join("/") || undefined;
    const make = PAGES[name] ?? PAGES.overview;
    if (current && name === currentName && name === "commands" && arg) {
      current.dispatchEvent(new CustomEvent("open-command", { detail: arg }));
      return;
    }
    current?.dispatchEvent(new CustomEvent("page-leave"));
    currentName = name;
    current = make(store, arg);
    current.dataset.page = name;
    for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", a.getAttribute("href") === `#${name}`);
    fill(main, current);
    document.body.dataset.ready = name; // tests and the benchmark wait for this
  };
  window.addEventListener("hashchange", route);
  route();
}

void boot();
