/**
 * The one stylesheet of every page a person sees — the gateway's (login, errors, maintenance,
 * notices) and the reference result service's (recipient and admin pages), exported as
 * `@resultgate/gateway/page-style` so the two look like one product. Inlined in each page's
 * `<style>`: the pages send a CSP that loads nothing (`default-src 'none'`), so there is no
 * stylesheet request to allow and nothing to cache per tenant.
 *
 * System fonts only (Japanese ones listed before the generic family so kana and kanji do not fall
 * back to a Chinese face), 16 px text with a 1.7 line height, strict Japanese line breaking, colours
 * that pass WCAG AA, a visible focus ring, and tables that turn into stacked cards below 40rem
 * (390 px phones) instead of overflowing.
 */
export const PAGE_CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.7 system-ui,-apple-system,"Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP","Yu Gothic UI",Meiryo,"IPAGothic",sans-serif;color:#1f2328;background:#f4f6f8;line-break:strict;overflow-wrap:anywhere}
a{color:#0550ae}a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.site{background:#fff;border-bottom:1px solid #d0d7de}
.site-inner{max-width:60rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;justify-content:space-between}
.site-name{font-weight:700;font-size:1.05rem;margin:0}
.site nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.9rem}
main{max-width:36rem;margin:1.5rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
main.wide{max-width:60rem}
h1{font-size:1.4rem;line-height:1.4;margin:0 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
p{margin:.5rem 0}
.tenant{color:#57606a;font-size:.9rem;margin:0 0 .25rem}
.muted{color:#57606a;font-size:.875rem}
.lead{font-size:1.05rem}
.next{background:#f6f8fa;border-left:4px solid #0969da;padding:.6rem .9rem;margin:1rem 0}
.error{color:#a40e26;background:#fff0f1;border-left:4px solid #cf222e;padding:.6rem .9rem;margin:1rem 0}
.ok{color:#116329;background:#eefbf1;border-left:4px solid #1a7f37;padding:.6rem .9rem;margin:1rem 0}
label{display:block;margin:.9rem 0 .25rem;font-weight:600}
input[type=text],input[type=password],input[type=search],input[type=file],select{width:100%;max-width:24rem;padding:.55rem;border:1px solid #8c959f;border-radius:6px;font:inherit;background:#fff;color:inherit}
input[aria-invalid=true]{border-color:#cf222e;border-width:2px}
button,.button{display:inline-block;margin-top:1rem;padding:.55rem 1.2rem;border:1px solid #0969da;border-radius:6px;background:#0969da;color:#fff;font:inherit;line-height:1.4;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:#0550ae}
button.danger{background:#fff;color:#a40e26;border-color:#cf222e;margin:0;padding:.3rem .8rem;font-size:.875rem}
form.inline{display:inline;margin:0}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:0 0 1rem}
.filters label{margin:0 0 .25rem}.filters button{margin:0}
.counts{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.9rem;padding:0;list-style:none}
.outcome{font-size:1.8rem;font-weight:700;margin:.5rem 0 1rem}
code{font-size:.85rem;background:#f4f6f8;padding:.1rem .3rem;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #d0d7de;font-size:.9rem}
th{background:#f6f8fa}
.pager{display:flex;gap:1rem;justify-content:space-between;margin-top:1rem}
footer.contact{max-width:36rem;margin:0 auto 2rem;padding:0 1.5rem;color:#57606a;font-size:.875rem}
main.wide+footer.contact{max-width:60rem}
@media (max-width:40rem){
main{margin:0;border-radius:0;box-shadow:none;padding:1rem}
table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.cards tr{display:block;border:1px solid #d0d7de;border-radius:6px;margin:0 0 .75rem;padding:.25rem .5rem}
table.cards td{display:grid;grid-template-columns:7.5rem 1fr;gap:.5rem;border:0;padding:.25rem 0}
table.cards td::before{content:attr(data-label);font-weight:600;color:#57606a}
}
`
  .replace(/\n/g, '')
  .trim();
