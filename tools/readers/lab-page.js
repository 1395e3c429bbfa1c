/* The reading-engine lab's page: opens an EPUB in epub.js as a reading app would, pages through
 * it and measures what a reader sees, inside each page's document. Loaded by lab.html; driven by
 * lab.mjs (puppeteer-core), which calls window.lab.run(config) once per configuration.
 *
 * Everything about a page is measured in the page: no CSS is read. Work per page is kept small:
 * what does not change while paging within a document (colours, widths, line boxes, notes) is
 * measured once per document, and each page only asks which x-range of the document is showing.
 */
(function () {
  "use strict";

  const OPS = "http://www.idpf.org/2007/ops";
  const THEMES = {
    default: null,
    sepia: { color: "#5b4636", background: "#f4ecd8" },
    night: { color: "#e0e0e0", background: "#121212" },
  };
  const WHITE = [255, 255, 255, 1];

  // ---- colour -------------------------------------------------------------------------------
  function parseColor(text) {
    if (!text) return null;
    let m = /^rgba?\(([^)]+)\)$/.exec(text.trim());
    if (m) {
      const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
    }
    m = /^#([0-9a-f]{6})$/i.exec(text.trim());
    if (m) {
      const n = parseInt(m[1], 16);
      return [(n >> 16) & 255, (n >> 8) & 255, n & 255, 1];
    }
    if (text.trim() === "transparent") return [0, 0, 0, 0];
    return null; // color(), lab() and friends: not used by the theme; treated as unknown
  }
  function over(top, bottom) {
    // composite `top` (with alpha) over an opaque `bottom`
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function luminance(c) {
    const lin = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }
  function ratio(a, b) {
    const la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function hex(c) {
    return "#" + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  }

  // ---- elements ------------------------------------------------------------------------------
  function epubType(el) {
    return (el.getAttributeNS && el.getAttributeNS(OPS, "type")) || el.getAttribute("epub:type") || "";
  }
  function hasToken(value, token) {
    return (" " + value + " ").indexOf(" " + token + " ") >= 0;
  }
  function describe(el) {
    if (!el || !el.tagName) return "?";
    let s = el.localName;
    if (el.id) s += "#" + el.id;
    const cls = (el.getAttribute("class") || "").trim();
    if (cls) s += "." + cls.split(/\s+/).join(".");
    return s;
  }
  function path(el) {
    const parts = [];
    for (let e = el; e && e.localName && e.localName !== "html" && parts.length < 4; e = e.parentElement) {
      parts.unshift(describe(e));
      if (e.localName === "body" || e.id) break;
    }
    return parts.join(" > ");
  }
  function snippet(text) {
    const t = (text || "").replace(/\s+/g, " ").trim();
    return t.length > 48 ? t.slice(0, 47) + "…" : t;
  }
  function isMoreFrom(el) {
    return !!(el && el.closest && el.closest(".more-from, [aria-label^='More from'], [data-more-from]"));
  }

  // What kind of introductory thing an element (holding the last line of a page) is, or "".
  function introKind(el) {
    const more = el.closest(".more-from-title, .more-from h2, .more-from h3, [data-more-from] > h2");
    if (more) return "more-from title";
    const h = el.closest("h1, h2, h3, h4, h5, h6, [role='heading']");
    if (h) return h.localName === "h1" || h.localName[0] !== "h" ? "heading" : h.localName;
    if (el.closest("dt")) return "dt";
    const cell = el.closest("th, td");
    if (cell) {
      const row = cell.closest("tr");
      if (row && (row.parentElement.localName === "thead" || Array.from(row.cells).every((c) => c.localName === "th"))) {
        return "table header row";
      }
    }
    return "";
  }

  // ---- colours: every visible text against what is behind it (once per document per theme) ----
  function styleCache(win) {
    const styles = new Map();
    return (el) => {
      let s = styles.get(el);
      if (!s) { s = win.getComputedStyle(el); styles.set(el, s); }
      return s;
    };
  }
  // Calls visit(node, element, style, lineRects) for every text node a reader can see.
  function visibleText(doc, style, visit) {
    const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    const range = doc.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!/\S/.test(node.data)) continue;
      const el = node.parentElement;
      // a drawing's own text is part of the picture
      if (!el || el.namespaceURI === "http://www.w3.org/2000/svg") continue;
      const s = style(el);
      if (s.visibility !== "visible" || parseFloat(s.opacity) === 0) continue;
      range.selectNodeContents(node);
      const rects = Array.from(range.getClientRects()).filter((r) => r.width > 1 && r.height > 1);
      if (!rects.length) continue;
      // visually hidden text (clipped to 1px and the like) is for screen readers, not for eyes
      const box = el.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue;
      visit(node, el, s, rects);
    }
  }
  function measureColours(doc, win, theme) {
    const style = styleCache(win);
    const canvas = theme ? parseColor(theme.background) : WHITE;
    const bgCache = new Map();
    function background(el) {
      if (bgCache.has(el)) return bgCache.get(el);
      const stack = [];
      let base = null;
      for (let e = el; e; e = e.parentElement) {
        const c = parseColor(style(e).backgroundColor);
        if (c && c[3] > 0) {
          if (c[3] >= 1) { base = c; break; }
          stack.push(c);
        }
      }
      let result = base || canvas;
      for (let i = stack.length - 1; i >= 0; i--) result = over(stack[i], result);
      bgCache.set(el, result);
      return result;
    }
    function opacity(el) {
      let o = 1;
      for (let e = el; e && e.nodeType === 1; e = e.parentElement) o *= parseFloat(style(e).opacity || "1");
      return o;
    }
    let lowest = null, texts = 0;
    const failures = new Map();
    visibleText(doc, style, (node, el, s) => {
      const fg0 = parseColor(s.color);
      if (!fg0) return;
      texts += 1;
      const bg = background(el);
      const fg = over([fg0[0], fg0[1], fg0[2], fg0[3] * opacity(el)], bg);
      const size = parseFloat(s.fontSize);
      const weight = parseInt(s.fontWeight, 10) || 400;
      const need = size >= 24 || (size >= 18.66 && weight >= 700) ? 3 : 4.5;
      const r = Math.floor(ratio(fg, bg) * 100) / 100;
      const entry = { ratio: r, need, fg: hex(fg), bg: hex(bg), size: Math.round(size * 10) / 10, where: path(el), text: snippet(node.data) };
      if (!lowest || r / need < lowest.ratio / lowest.need) lowest = entry;
      if (r < need) {
        const key = entry.where + entry.fg + entry.bg;
        const seen = failures.get(key);
        if (seen) seen.count += 1; else failures.set(key, Object.assign(entry, { count: 1 }));
      }
    });
    return { texts, lowest, failures: Array.from(failures.values()) };
  }

  // ---- layout: once per document per page size and type size ---------------------------------
  function measureDocument(doc, win) {
    const body = doc.body;
    const style = styleCache(win);

    // Line boxes of visible text, and replaced content, in document order and coordinates.
    const things = [];
    const sx = win.scrollX, sy = win.scrollY;
    let order = 0;
    const replaced = new Set();
    for (const el of doc.querySelectorAll("img, svg, video")) {
      if (el.parentElement && el.parentElement.closest("svg")) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 1 && r.height > 1) replaced.add(el);
    }
    const pending = Array.from(replaced);
    const before = (el, node) => !!(el.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING);
    const flush = (node) => {
      while (pending.length && (!node || before(pending[0], node))) {
        const el = pending.shift();
        const r = el.getBoundingClientRect();
        things.push({ l: r.left + sx, r: r.right + sx, t: r.top + sy, b: r.bottom + sy, el, order: ++order });
      }
    };
    visibleText(doc, style, (node, el, s, rects) => {
      flush(node);
      order += 1;
      for (const r of rects) things.push({ l: r.left + sx, r: r.right + sx, t: r.top + sy, b: r.bottom + sy, el, order });
    });
    flush(null);

    // Wider than the page: the element, or the scrolling box that holds it, against the width a
    // page gives the text (the body's content box; epub.js pads it by half the column gap). A box
    // broken across pages has one client rect per page: the widest counts.
    // (Readium enlarges type with CSS zoom, so the content box is scaled to the body's first
    // fragment as drawn: the same units as the rects measured against it.)
    const bs = style(body);
    const drawn = (body.getClientRects()[0] || body.getBoundingClientRect()).width;
    const avail = drawn * (body.clientWidth - parseFloat(bs.paddingLeft) - parseFloat(bs.paddingRight)) / Math.max(1, body.clientWidth);
    const overflow = [];
    for (const el of doc.querySelectorAll("table, figure, pre, img, svg, video, math")) {
      if (el.parentElement && el.parentElement.closest("svg, math")) continue;
      let scroller = null;
      for (let e = el.parentElement; e && e !== body; e = e.parentElement) {
        if (style(e).overflowX !== "visible") { scroller = e; break; }
      }
      const target = scroller || el;
      let widest = Math.max(0, ...Array.from(target.getClientRects()).map((r) => r.width));
      if (el.localName === "pre" && style(el).overflowX === "visible") widest = Math.max(widest, el.scrollWidth);
      if (widest > avail + 1) {
        overflow.push({ what: path(el), width: Math.round(widest), page: Math.round(avail), text: snippet(el.textContent) });
      }
    }

    // Note references: reach the note, the note links back, the reference looks like one.
    const noterefs = [];
    for (const a of doc.querySelectorAll("a[href]")) {
      const type = epubType(a);
      const role = a.getAttribute("role") || "";
      if (!hasToken(type, "noteref") && !hasToken(role, "doc-noteref")) continue;
      const href = a.getAttribute("href");
      const hash = href.indexOf("#");
      const file = hash >= 0 ? href.slice(0, hash) : href;
      const id = hash >= 0 ? decodeURIComponent(href.slice(hash + 1)) : "";
      const entry = { ref: path(a), text: snippet(a.textContent), href, problems: [] };
      const parentSize = parseFloat(style(a.parentElement).fontSize);
      const refStyle = style(a);
      const raised = /super|top|text-top/.test(refStyle.verticalAlign) ||
        (refStyle.position === "relative" && parseFloat(refStyle.top) < 0);
      if (!raised && parseFloat(refStyle.fontSize) >= parentSize * 0.95) entry.problems.push("set like body text (not raised, not smaller)");
      if (file && file !== (doc.__labHref || "")) {
        entry.crossDocument = file;
      } else {
        const target = id && doc.getElementById(id);
        if (!target) {
          entry.problems.push("no element with id " + JSON.stringify(id));
        } else {
          const note = target.closest("aside, li, [role~='doc-footnote'], [role~='doc-endnote']") || target;
          if (!/\S/.test(note.textContent)) entry.problems.push("the note is empty");
          const r = note.getBoundingClientRect();
          if (r.width <= 1 || r.height <= 1) entry.problems.push("the note is not shown");
          const back = a.id && Array.from(note.querySelectorAll("a[href]")).some((b) => {
            const h = b.getAttribute("href");
            const k = h.indexOf("#");
            if (k < 0) return false;
            const f = h.slice(0, k);
            const frag = decodeURIComponent(h.slice(k + 1));
            if (f && f !== (doc.__labHref || "")) return false;
            const dest = doc.getElementById(frag);
            return !!dest && (dest === a || dest.contains(a));
          });
          if (!back) entry.problems.push(a.id ? "the note does not link back to " + a.id : "the reference has no id to link back to");
        }
      }
      noterefs.push(entry);
    }

    // The article's headline, if this document is an article.
    const article = doc.querySelector("article") || (body.classList.contains("article-page") ? body : null);
    let headline = null;
    if (article) headline = article.querySelector(".headline, h1") || doc.querySelector("h1");

    return { things, overflow, noterefs, headline, article: !!article };
  }

  // ---- the run -------------------------------------------------------------------------------
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

  async function open(url) {
    const data = await (await fetch(url)).arrayBuffer();
    const book = ePub(data);
    await book.ready;
    return book;
  }

  // Apply a theme as reading apps do: the body's colour and background, nothing else.
  function applyTheme(rendition, name) {
    const theme = THEMES[name];
    rendition.themes.override("color", theme ? theme.color : "");
    rendition.themes.override("background", theme ? theme.background : "");
  }

  // The book opened in epub.js as a reading app lays it out: paginated, one page at a time.
  async function paginated(config) {
    const book = await open(config.book);
    const viewer = document.getElementById("viewer");
    viewer.innerHTML = "";
    const rendition = book.renderTo(viewer, {
      width: "100%", height: "100%", flow: "paginated", spread: "none", allowScriptedContent: false,
    });
    return { book, rendition };
  }

  // An engine, as the lab drives it: the spine, the document on show, the x-range of it a
  // reader sees (in the document's coordinates), the next page, a theme for colours.
  async function openEpubjs(config) {
    const { book, rendition } = await paginated(config);
    if (THEMES[config.theme]) applyTheme(rendition, config.theme);
    if (config.font && config.font !== 100) rendition.themes.fontSize(config.font + "%");
    const spine = [];
    book.spine.each((item) => { if (item.linear !== "no" && item.linear !== false) spine.push(item.href); });
    await rendition.display(spine[0]);
    const view = () => rendition.manager.views.first && rendition.manager.views.first();
    return {
      name: "epub.js 0.3.93",
      spine,
      current() {
        const v = view();
        return v && v.contents ? { href: v.section.href, doc: v.contents.document, win: v.contents.window } : null;
      },
      visible() {
        // the iframe holds every column and slides inside the container
        const cR = rendition.manager.container.getBoundingClientRect();
        const iR = view().iframe.getBoundingClientRect();
        return { l: cR.left - iR.left, r: cR.right - iR.left, columns: Math.round(iR.width / Math.max(1, cR.width)) };
      },
      pageHeight: () => rendition.manager.layout.height,
      next: () => rendition.next(),
      async theme(name) { applyTheme(rendition, name); },
      destroy() { rendition.destroy(); book.destroy(); },
    };
  }

  // config: {engine: "epubjs"|"readium", book: url, width, height, font: 100|200, theme: the
  //          one to read in ("default"), themes: the ones whose colours are measured on every
  //          document, maxPages, debug}
  // Themes change colours only, never layout, so one walk through the pages measures the
  // colours of every theme: each document is measured in each theme as it comes up. (Readium
  // applies its themes as preferences that restyle the page: it measures the one it reads in.)
  async function run(config) {
    const started = performance.now();
    const shownTheme = config.theme || "default";
    const engine = config.engine === "readium"
      ? await window.readiumEngine.open(config)
      : await openEpubjs(Object.assign({}, config, { theme: shownTheme }));
    const themes = engine.fixedTheme ? [shownTheme] : (config.themes || [shownTheme]);
    const spine = engine.spine;

    const visited = [];       // section hrefs in the order first reached
    const sections = {};      // href -> result
    let current = null;       // {href, doc measurements, pages}
    const maxPages = config.maxPages || 3000;
    let pageCount = 0, lastKey = null, stuck = 0;

    const finish = (sec) => {
      if (!sec) return;
      const m = sec.m;
      const out = sections[sec.href];
      // pages: which things show on each; the last thing on each page
      const things = m.things;
      const more = { pages: 0, height: 0 };
      sec.pages.forEach((p, i) => {
        const on = things.filter((t) => { const cx = (t.l + t.r) / 2; return cx >= p.l && cx < p.r; });
        if (!on.length) { out.blankPages.push(i + 1); return; }
        const chrome = on.filter((t) => isMoreFrom(t.el));
        if (chrome.length) {
          more.height += Math.max(...chrome.map((t) => t.b)) - Math.min(...chrome.map((t) => t.t));
          if (chrome.length === on.length) more.pages += 1;
        }
        let last = on[0];
        for (const t of on) if (t.b > last.b + 0.5 || (Math.abs(t.b - last.b) <= 0.5 && t.order > last.order)) last = t;
        const maxOrder = Math.max(...on.map((t) => t.order));
        const laterExists = things.some((t) => t.order > maxOrder);
        const kind = introKind(last.el);
        if (config.debug) (out.debug = out.debug || []).push({ page: i + 1, kind, last: snippet(last.el.textContent), where: path(last.el), things: on.length });
        if (kind && laterExists) {
          out.stranded.push({ page: i + 1, kind, where: path(last.el), text: snippet(last.el.textContent) });
        }
      });
      // lines no page showed: skipped pages, or text outside every page
      const unseen = things.filter((t) => !sec.pages.some((p) => { const cx = (t.l + t.r) / 2; return cx >= p.l && cx < p.r; }));
      out.unseen = unseen.length;
      if (unseen.length) out.unseenFirst = snippet(unseen[0].el.textContent);
      out.pages = sec.pages.length;
      out.columns = sec.columns;
      out.moreFrom = { chromeOnlyPages: more.pages, height: Math.round(more.height), pageHeight: Math.round(sec.pageHeight) };
      if (m.headline) {
        const first = sec.pages[0];
        const shown = m.things.some((t) => t.el && (t.el === m.headline || m.headline.contains(t.el)) &&
          (t.l + t.r) / 2 >= first.l && (t.l + t.r) / 2 < first.r);
        out.headline = { text: snippet(m.headline.textContent), onFirstPage: shown };
      }
    };

    for (;;) {
      const cur = engine.current();
      if (!cur) {
        await nextFrame();
        if (++stuck > 100) break;
        continue;
      }
      const { href, doc, win } = cur;
      if (!current || current.href !== href) {
        finish(current);
        if (doc.fonts && doc.fonts.ready) await doc.fonts.ready;
        await nextFrame();
        doc.__labHref = href.split("/").pop();
        const m = measureDocument(doc, win);
        const again = !!sections[href];
        visited.push(href);
        if (!again) {
          const contrast = {};
          for (const name of themes) {
            if (themes.length > 1) await engine.theme(name);
            contrast[name] = measureColours(doc, win, THEMES[name]);
          }
          if (themes.length > 1) await engine.theme(shownTheme);
          sections[href] = {
            blankPages: [], stranded: [], contrast, overflow: m.overflow, noterefs: m.noterefs, article: m.article,
          };
        }
        current = { href, m, pages: [], pageHeight: engine.pageHeight(), columns: 0 };
      }
      const page = engine.visible();
      const key = href + "@" + Math.round(page.l);
      if (key === lastKey) break; // next() did not move: the end
      lastKey = key;
      current.pages.push(page);
      current.columns = page.columns;
      if (++pageCount >= maxPages) break;
      if ((await engine.next()) === false) break;
    }
    finish(current);

    const order = visited.filter((h, i) => visited.indexOf(h) === i);
    const result = {
      engine: engine.name,
      config: { width: config.width, height: config.height, theme: shownTheme, themes, font: config.font || 100 },
      spine,
      visited,
      inOrder: JSON.stringify(visited) === JSON.stringify(spine),
      missing: spine.filter((h) => !order.includes(h)),
      pages: pageCount,
      sections,
      ms: Math.round(performance.now() - started),
    };
    await engine.destroy();
    return result;
  }

  // Show one place of a book for a picture: section href (and a page number in it, 1-based).
  async function show(config) {
    const { book, rendition } = await paginated(config);
    const theme = THEMES[config.theme];
    if (theme) {
      rendition.themes.override("color", theme.color);
      rendition.themes.override("background", theme.background);
      document.body.style.background = theme.background;
    } else {
      document.body.style.background = "#fff";
    }
    if (config.font && config.font !== 100) rendition.themes.fontSize(config.font + "%");
    const spine = [];
    book.spine.each((item) => { if (item.linear !== "no" && item.linear !== false) spine.push(item.href); });
    const href = typeof config.section === "number" ? spine[config.section] : config.section;
    await rendition.display(href);
    let view = rendition.manager.views.first();
    if (view && view.contents.document.fonts) await view.contents.document.fonts.ready;
    await nextFrame();
    let turns = (config.page || 1) - 1;
    if (config.selector && view) {
      // turn to the page that shows the element's first line
      const el = view.contents.document.querySelector(config.selector);
      if (el) {
        const cR = rendition.manager.container.getBoundingClientRect();
        const iR = view.iframe.getBoundingClientRect();
        const first = el.getClientRects()[0] || el.getBoundingClientRect();
        const shown = cR.left - iR.left;
        // right-to-left pages lie leftwards: the distance counts, not its sign
        turns = Math.abs(Math.floor(((first.left + first.right) / 2 - shown) / cR.width));
      }
    }
    for (let i = 0; i < turns; i++) await rendition.next();
    await nextFrame();
    window.__labShown = { rendition, book };
    return { href, spine };
  }

  window.lab = { run, show, THEMES };
})();
