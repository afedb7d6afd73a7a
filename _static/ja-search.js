/* Japanese queries for the book's search box.
 *
 * Sphinx (language "ja") cuts the text of every page into words with TinySegmenter when it
 * builds searchindex.js, but its search page does not cut the query: "誤差逆伝播法" stays one
 * term and matches nothing, because the index holds "誤差", "逆伝" and "播法". Sphinx lets a
 * page define `splitQuery` before searchtools.js loads; this one splits each run of Japanese
 * text into the fewest words that exist in the index (longest pieces first), so a word or
 * compound that appears in the book finds the pages that contain it. Anything that cannot be
 * covered by index words is left as it is (Sphinx's default behaviour).
 */
var splitQuery = (query) => {
  const words = query
    .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((w) => w);
  const index = typeof Search !== "undefined" ? Search._index : null;
  if (!index) return words;
  const inIndex = (w) => {
    const key = w.toLowerCase();
    return [index.terms, index.titleterms].some((t) =>
      t instanceof Map ? t.has(key) : t && Object.prototype.hasOwnProperty.call(t, key));
  };
  const japanese = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/;
  const out = [];
  for (const word of words) {
    if (!japanese.test(word) || inIndex(word)) {
      out.push(word);
      continue;
    }
    // best[i]: fewest index words covering word[0:i] (null if impossible).
    const best = new Array(word.length + 1).fill(null);
    best[0] = [];
    for (let i = 1; i <= word.length; i++) {
      for (let j = Math.max(0, i - 16); j < i; j++) {
        if (best[j] && (!best[i] || best[j].length + 1 < best[i].length) &&
            inIndex(word.slice(j, i))) {
          best[i] = best[j].concat([word.slice(j, i)]);
        }
      }
    }
    out.push(...(best[word.length] || [word]));
  }
  return out;
};
