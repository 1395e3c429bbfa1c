// The Readium web navigator (@readium/navigator 2.4.0 with @readium/shared 2.1.2, the engine of
// Thorium and many library apps) as the lab drives it: window.readiumEngine.open(config) returns
// the same adapter lab-page.js makes for epub.js. Readium takes a Readium Web Publication
// manifest, made here from the EPUB's content.opf; the EPUB's files are served unzipped by
// lab.mjs under config.unzipped. Themes are applied as Readium apps apply them: the
// backgroundColor and textColor preferences (ReadiumCSS then sets the colours); type size is
// the fontSize preference.
import { EpubNavigator } from "@readium/navigator";
import { Publication, Manifest, HttpFetcher, Locator } from "@readium/shared";

async function manifestFor(base) {
  const text = async (p) => {
    const response = await fetch(new URL(p, base));
    if (!response.ok) throw new Error(`readium: ${p}: HTTP ${response.status}`);
    return response.text();
  };
  const parse = (t) => new DOMParser().parseFromString(t, "application/xml");
  const container = parse(await text("META-INF/container.xml"));
  const opfPath = container.getElementsByTagName("rootfile")[0].getAttribute("full-path");
  const opf = parse(await text(opfPath));
  const opfBase = opfPath.includes("/") ? opfPath.slice(0, opfPath.lastIndexOf("/") + 1) : "";
  const items = {};
  for (const it of opf.getElementsByTagName("item")) {
    items[it.getAttribute("id")] = { href: opfBase + it.getAttribute("href"), type: it.getAttribute("media-type") };
  }
  const spine = opf.getElementsByTagName("spine")[0];
  const readingOrder = Array.from(spine.getElementsByTagName("itemref"))
    .filter((r) => r.getAttribute("linear") !== "no")
    .map((r) => ({ href: items[r.getAttribute("idref")].href, type: items[r.getAttribute("idref")].type }));
  const inOrder = new Set(readingOrder.map((l) => l.href));
  const dc = (n) => {
    const e = opf.getElementsByTagNameNS("http://purl.org/dc/elements/1.1/", n)[0];
    return e ? e.textContent : undefined;
  };
  const json = {
    metadata: {
      title: dc("title"), language: dc("language"), identifier: dc("identifier"),
      readingProgression: spine.getAttribute("page-progression-direction") === "rtl" ? "rtl" : "ltr",
      conformsTo: "https://readium.org/webpub-manifest/profiles/epub",
    },
    links: [{ rel: "self", href: new URL("manifest.json", base).href, type: "application/webpub+json" }],
    readingOrder,
    resources: Object.values(items).filter((i) => !inOrder.has(i.href)),
  };
  return { json, opfBase };
}

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

window.readiumEngine = {
  async open(config) {
    const base = new URL(config.unzipped, location.href).href;
    const { json, opfBase } = await manifestFor(base);
    const manifest = Manifest.deserialize(json);
    manifest.setSelfLink(new URL("manifest.json", base).href);
    const pub = new Publication({ manifest, fetcher: new HttpFetcher(undefined, base) });
    // One position per document: the navigator needs a positions list, which a Readium
    // server would compute; the lab pages through it, so coarse positions do.
    const positions = json.readingOrder.map((l, i) => Locator.deserialize({
      href: l.href, type: l.type,
      locations: { position: i + 1, progression: 0, totalProgression: i / json.readingOrder.length },
    }));
    const theme = window.lab.THEMES[config.theme];
    const preferences = {};
    if (theme) Object.assign(preferences, { backgroundColor: theme.background, textColor: theme.color });
    if (config.font && config.font !== 100) preferences.fontSize = config.font / 100;
    const nothing = () => {};
    const listeners = {
      frameLoaded: nothing, positionChanged: nothing, tap: () => false, click: () => false, zoom: nothing,
      miscPointer: nothing, scroll: nothing, customEvent: nothing, handleLocator: () => false,
      textSelected: nothing, contentProtection: nothing, contextMenu: nothing, peripheral: nothing,
    };
    const viewer = document.getElementById("viewer");
    viewer.innerHTML = "";
    const nav = new EpubNavigator(viewer, pub, listeners, positions, undefined, { preferences, defaults: {} });
    await nav.load();
    const strip = (h) => (h.startsWith(opfBase) ? h.slice(opfBase.length) : h);
    const frame = () => {
      const f = nav._cframes.filter(Boolean)[0];
      return f && f.frame;
    };
    return {
      name: "Readium navigator 2.4.0",
      fixedTheme: true,
      spine: json.readingOrder.map((l) => strip(l.href)),
      current() {
        const f = frame();
        const doc = f && f.contentDocument;
        if (!doc || doc.readyState !== "complete" || !doc.body) return null;
        return { href: strip(nav.currentLocator.href), doc, win: f.contentWindow };
      },
      visible() {
        // Readium scrolls the document inside a page-sized frame
        const w = frame().contentWindow;
        return { l: w.scrollX, r: w.scrollX + w.innerWidth, columns: Math.round(w.document.scrollingElement.scrollWidth / w.innerWidth) };
      },
      pageHeight: () => frame().contentWindow.innerHeight,
      async next() {
        const ok = await new Promise((resolve) => nav.goForward(false, resolve));
        await nextFrame();
        return ok;
      },
      async theme() {},
      async destroy() { await nav.destroy(); },
    };
  },
};
// Show one place for a picture: config.section (an index or href in the spine), then
// config.page or the page of config.selector's first line.
window.readiumEngine.show = async function (config) {
  const engine = await window.readiumEngine.open(config);
  const href = typeof config.section === "number" ? engine.spine[config.section] : config.section;
  for (let i = 0; i < 500; i++) {
    const cur = engine.current();
    if (cur && cur.href === href) break;
    if (!(await engine.next())) break;
  }
  const cur = engine.current();
  let turns = (config.page || 1) - 1;
  if (config.selector && cur) {
    const el = cur.doc.querySelector(config.selector);
    if (el) {
      const first = el.getClientRects()[0] || el.getBoundingClientRect();
      turns = Math.abs(Math.floor((first.left + first.right) / 2 / cur.win.innerWidth));
    }
  }
  for (let i = 0; i < turns; i++) await engine.next();
  // let the frame's fade-in finish
  await new Promise((r) => setTimeout(r, 400));
  return { href };
};
window.readiumReady = true;
