/* Japanese search for the book (Sphinx search page).
 *
 * Index: `_ext/book_html.py` (NgramSplitter) stores TinySegmenter's words of every page and
 * also every character bigram of each run of Japanese text ("逆伝播" -> "逆伝", "伝播").
 * Query: this `splitQuery` (Sphinx lets a page define it before searchtools.js loads) cuts each
 * run of Japanese text into the same overlapping bigrams; Sphinx keeps only the pages that
 * contain all of them, so a compound word finds every page that contains it, however
 * TinySegmenter split that page ("誤差逆伝播法" -> "誤差|逆伝|播法"). A single kanji/kana is
 * kept as it is; Latin words are left to Sphinx.
 *
 * Snippets: Sphinx fetches each hit's page to show a snippet, which fails for a book opened
 * from disk (file://) and shows the raw TeX of formulas. The build writes every page's text
 * with TeX-free math to `_static/search-pages.js`; on the search page, requests for those
 * pages are answered from it (no network, works over file://).
 */
var splitQuery = (query) => {
  const japanese = /^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30fc]+$/;
  const out = [];
  const words = query
    .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((w) => w);
  for (const word of words) {
    // split mixed words ("ReLU関数") into Latin and Japanese runs
    for (const part of word.match(/[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30fc]+|[^\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30fc]+/g)) {
      if (!japanese.test(part) || part.length < 2) {
        out.push(part);
        continue;
      }
      for (let i = 0; i + 2 <= part.length; i++) out.push(part.slice(i, i + 2));
    }
  }
  return [...new Set(out)];
};

(() => {
  if (!/(^|\/)search\.html$/.test(window.location.pathname)) return;
  const root = new URL(
    document.documentElement.dataset.content_root ||
      (window.DOCUMENTATION_OPTIONS && DOCUMENTATION_OPTIONS.URL_ROOT) || "./",
    window.location.href);
  const pages = new Promise((resolve) => {
    const s = document.createElement("script");
    s.src = new URL("_static/search-pages.js", root).href;
    s.onload = () => resolve(window.BOOK_SEARCH_PAGES || {});
    s.onerror = () => resolve({});
    document.head.appendChild(s);
  });
  const realFetch = window.fetch ? window.fetch.bind(window) : null;
  window.fetch = async (input, init) => {
    const url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    const rel = decodeURIComponent(url.href.slice(root.href.length).split("#")[0].split("?")[0]);
    const text = url.href.startsWith(root.href) ? (await pages)[rel] : undefined;
    if (text !== undefined)
      return new Response(`<div role="main">${text}</div>`,
                          {status: 200, headers: {"Content-Type": "text/html; charset=utf-8"}});
    if (!realFetch) throw new TypeError("fetch is not available");
    return realFetch(input, init);
  };
})();
