"""The municipality's own web site in the sandbox: the page that lists its social media channels.

`/web/sociala-medier` follows the structure of orebro.se's page (intro, what becomes a public
record, what may be removed, one section per platform, the podcasts, personal data, questions),
written anew, with links to the sandbox's accounts. What makes it a capture problem:
- a cookie banner covers the bottom of the page until answered (a cookie remembers the answer);
- images load lazily: some with `loading="lazy"`, most by script when scrolled into view
  (`data-src` + IntersectionObserver), so jumping straight to the bottom misses them;
- a news list at the bottom grows as it is scrolled (`/web/api/nyheter?sida=N`, JSON, a few pages),
  once cookies are answered; the page and the API are throttled (429 + Retry-After), the script retries.
"""

from __future__ import annotations

import html
import json
import random

from smarchive.sandbox.content import MUNICIPALITY, MediaFile, World, WorldAccount, WorldItem, make_png
from smarchive.sandbox.web import Request, Response, Throttle, html_response, json_response, not_found

PLATFORM = "web"
PAGE = "sociala-medier"
CONSENT_COOKIE = "web_consent"
NEWS_PAGES = 3
NEWS_PER_PAGE = 3

SECTIONS = (
    ("facebook", "Facebook",
     "Facebook är den plattform som flest svenskar använder, i alla åldrar. Vårt officiella konto är "
     "kommunens största kanal: här berättar vi om händelser, aktiviteter och nyheter och för en dialog med "
     "örebroarna. Samma information finns också på teckenspråk."),
    ("instagram", "Instagram",
     "På Instagram står bild och film i centrum. @orebrokommun är ett stafettkonto där en ny medarbetare "
     "varje vecka visar sitt arbete. På Tillbakablick Örebro, @tborebro, delar vi gamla bilder ur "
     "Stadsarkivets bildarkiv."),
    ("linkedin", "LinkedIn",
     "På LinkedIn berättar vi hur det är att arbeta i Örebro kommun: om våra uppdrag, lediga jobb och "
     "medarbetare som gör vardagen enklare för örebroarna."),
    ("youtube", "Youtube",
     "På Youtube publicerar vi film, ofta längre än i andra kanaler. Kommunen har ett centralt konto och "
     "ett konto på teckenspråk."),
)

NEWS = (
    "Ny lekplats invigd i {place}", "Biblioteken förlänger öppettiderna i sommar",
    "Snöröjningen: så prioriterar vi", "Lediga sommarjobb för unga", "Evenemang i Kulturkvarteret i helgen",
    "Badplatserna öppnar", "Vattenprover från Ånnaboda", "Föräldrastöd startar ny kurs",
    "Wadköping fyller år", "Konstutställning på Stadsbiblioteket", "Nya cykelbanor längs Svartån",
    "Öppet hus på förskolan i {place}",
)
PLACES = ("Vivalla", "Brickebacken", "Adolfsberg", "Lillån", "Varberga", "Tybble", "Haga", "Norrby")


def build(world: World, rng: random.Random) -> None:
    world.accounts[PLATFORM] = [WorldAccount(platform=PLATFORM, handle=PAGE, name=f"{MUNICIPALITY} – Sociala medier",
                                             id="orebro.se/sociala-medier")]
    for index, name in enumerate(_image_names()):
        world.media[name] = MediaFile(name, PLATFORM, "image/png", make_png(rng, 700 + index, 160, 90))


def _news_titles(world: World) -> list[str]:
    """Headlines of the news list: content, so from the seed (a stream of their own), not server state."""
    rng = random.Random(f"{world.config.seed}-web-news")
    return [rng.choice(NEWS).format(place=rng.choice(PLACES)) for _ in range(NEWS_PAGES * NEWS_PER_PAGE)]


def _image_names() -> list[str]:
    return (["web-logo"] + [f"web-{key}" for key, _, _ in SECTIONS] + ["web-poddar"]
            + [f"web-nyhet-{n}" for n in range(NEWS_PAGES * NEWS_PER_PAGE)])


def permalink(item: WorldItem) -> str:
    return f"/web/{item.account}"  # the web adapter extracts no items; here for the registry's interface


def handle(world: World, request: Request) -> Response:
    """Answer a request whose path starts with /web/."""
    parts = [p for p in request.path.split("/") if p][1:]
    if request.method != "GET":
        return not_found()
    if len(parts) == 2 and parts[0] == "media":
        return media(world, parts[1])
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))
    throttled = _throttle(world).check(f"{request.path}?{query}")
    if throttled is not None:
        return throttled
    if parts == [PAGE]:
        return page(world, request)
    if parts == ["api", "nyheter"]:
        return news(world, request)
    return not_found()


def _throttle(world: World) -> Throttle:
    throttle = world.runtime.get("web-throttle")
    if not isinstance(throttle, Throttle):
        throttle = world.runtime["web-throttle"] = Throttle(world.config.throttle_every)
    return throttle


def media(world: World, filename: str) -> Response:
    found = world.media.get(filename.rsplit(".", 1)[0])
    if found is None or found.platform != PLATFORM or found.filename != filename:
        return not_found()
    return Response(200, found.content_type, found.data, [("Cache-Control", "public, max-age=86400")],
                    compressible=False)


def news(world: World, request: Request) -> Response:
    number = (request.query.get("sida") or ["1"])[0]
    if not number.isdigit() or not 1 <= int(number) <= NEWS_PAGES:
        return json_response({"error": "okänd sida"}, 404)
    n = int(number)
    titles = _news_titles(world)
    start = (n - 1) * NEWS_PER_PAGE
    items = [{"title": titles[i], "image": world.media[f"web-nyhet-{i}"].path,
              "url": f"/web/nyheter/{i + 1}"} for i in range(start, start + NEWS_PER_PAGE)]
    return json_response({"page": n, "items": items, "next": n + 1 if n < NEWS_PAGES else None})


def _lazy(world: World, name: str, alt: str) -> str:
    path = world.media[name].path
    return (f'<img class="lazy" data-src="{path}" alt="{html.escape(alt)}" width="160" height="90" '
            'src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==">')


def _accounts(world: World, platform: str) -> str:
    links = [f'<li><a href="/{platform}/{html.escape(a.handle)}">{html.escape(a.name)}</a></li>'
             for a in world.accounts.get(platform, [])]
    return f"<ul>{''.join(links)}</ul>" if links else ""


def _podcasts(world: World) -> str:
    rows = []
    for account in world.accounts.get("podcast", []):
        slug = html.escape(account.handle)
        rows.append(f'<li><a href="/podcast/{slug}/">{html.escape(account.name)}</a> '
                    f'(<a href="/podcast/{slug}.rss" type="application/rss+xml">RSS</a>)</li>')
    return f"<ul>{''.join(rows)}</ul>"


def _body(world: World) -> str:
    sections = "\n".join(
        f'<section id="{key}"><h2>{title}</h2>{_lazy(world, f"web-{key}", title)}<p>{html.escape(text)}</p>'
        f"{_accounts(world, key)}</section>"
        for key, title, text in SECTIONS
    )
    return f"""
<h1>Sociala medier</h1>
<p class="ingress">I sociala medier kan vi samtala med örebroarna där de redan finns. Vi använder kanalerna för
att informera, lyssna in synpunkter och låta fler vara delaktiga i hur kommunens verksamheter utvecklas.</p>
<p>Hur kommunen arbetar med sociala medier står i <a href="/web/riktlinjer.pdf">Riktlinjer för sociala medier
i Örebro kommun (pdf, 406 kB)</a>.</p>
<h2>Det du skriver till oss kan bli allmän handling</h2>
<p>Det som andra publicerar i våra konton blir allmän handling och omfattas av offentlighetsprincipen. Det kan
därför komma att registreras. Skriv inte sekretessbelagda uppgifter till oss här; för sådana ärenden finns
andra kontaktvägar. Frågor besvaras av Servicecenter, 019-21 10 00.</p>
<h2>Det här tar vi bort</h2>
<p>Vi tar bort inlägg som innehåller till exempel:</p>
<ul><li>hot, uppvigling eller uppmaningar till brott,</li><li>kränkningar, personangrepp eller trakasserier,</li>
<li>våldsskildringar eller pornografi,</li><li>material som bryter mot upphovsrätten,</li>
<li>sekretessbelagda eller känsliga uppgifter,</li><li>reklam från aktörer vi inte samarbetar med,</li>
<li>politiska diskussioner.</li></ul>
<p>Den som bryter mot reglerna kan också blockeras.</p>
{sections}
<section id="poddar"><h2>Poddar</h2><img src="{world.media["web-poddar"].path}" loading="lazy" alt="Poddar"
width="160" height="90"><p>Våra poddar finns i de vanligaste poddapparna. Vardagshjältarna är för dig som undrar
vad du ska bli; Sveriges viktigaste chefspodd handlar om ledarskap och är pausad men kan fortfarande lyssnas på;
Tonårstiden – Hur svårt kan det va? är för tonårsföräldrar och finns också teckenspråkstolkad.</p>
{_podcasts(world)}</section>
<h2>Personuppgifter i sociala medier</h2>
<p>Det du skickar till oss i sociala medier hanteras också av företaget bakom plattformen. Skicka därför inte
känsliga uppgifter den vägen.</p>
<h2>Frågor</h2><p>Kontakta Servicecenter om du har frågor om kommunens sociala medier.</p>
<section id="nyheter" aria-label="Fler nyheter"><h2>Fler nyheter</h2><ul id="nyhetslista"></ul>
<div id="nyheter-slut" aria-hidden="true"></div></section>
<p class="meta">Senast uppdaterad: 2024-03-12</p>
"""


BANNER = """<div id="cookie-banner" class="cookie-banner" role="region" aria-label="Kakor">
<p>Vi använder kakor (cookies) för att webbplatsen ska fungera och för att förbättra den.</p>
<button type="button" data-choice="all">Godkänn alla kakor</button>
<button type="button" data-choice="necessary">Endast nödvändiga kakor</button>
</div>"""

SCRIPT = """
(function () {
  'use strict';
  var lazyObserver = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      var img = entry.target;
      img.src = img.getAttribute('data-src');
      img.removeAttribute('data-src');
      lazyObserver.unobserve(img);
    });
  });
  function watchImages() {
    document.querySelectorAll('img[data-src]').forEach(function (img) { lazyObserver.observe(img); });
  }
  var next = 1, loading = false;
  function load() {
    if (loading || next === null) { return; }
    loading = true;
    fetch('/web/api/nyheter?sida=' + next, {credentials: 'same-origin'}).then(function (response) {
      if (response.status === 429) {  // wait as told, then try again
        var wait = parseInt(response.headers.get('Retry-After') || '1', 10) * 1000;
        return new Promise(function (done) { setTimeout(done, wait); }).then(function () { return null; });
      }
      return response.json();
    }).then(function (page) {
      loading = false;
      if (page === null) { load(); return; }
      var list = document.getElementById('nyhetslista');
      page.items.forEach(function (item) {
        var li = document.createElement('li');
        li.className = 'nyhet';
        li.innerHTML = '<img class="lazy" width="160" height="90" alt=""><a></a>';
        li.querySelector('img').setAttribute('data-src', item.image);
        li.querySelector('a').href = item.url;
        li.querySelector('a').textContent = item.title;
        list.appendChild(li);
      });
      next = page.next;
      watchImages();
      // Observers report changes only: look again, in case the end marker is still in view.
      endObserver.unobserve(end);
      endObserver.observe(end);
    }).catch(function () { loading = false; });
  }
  var end = document.getElementById('nyheter-slut');
  var endObserver = new IntersectionObserver(function (entries) {
    if (entries[0].isIntersecting) { load(); }
  }, {rootMargin: '200px'});
  function startNews() { endObserver.observe(end); }
  var banner = document.getElementById('cookie-banner');
  if (banner) {
    banner.querySelectorAll('button').forEach(function (button) {
      button.addEventListener('click', function () {
        document.cookie = 'web_consent=' + button.getAttribute('data-choice') + '; path=/; max-age=15552000';
        banner.remove();
        startNews();
      });
    });
  } else {
    startNews();
  }
  watchImages();
})();
"""

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;line-height:1.5}
header{background:#00558c;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center}
main{max-width:760px;margin:0 auto;padding:16px 16px 400px}
section{margin:48px 0;min-height:260px}img{display:block;margin:8px 0;background:#ddd}
.nyhet{margin:24px 0;min-height:220px}
.cookie-banner{position:fixed;left:0;right:0;bottom:0;background:#fff;border-top:3px solid #00558c;padding:16px 24px;
box-shadow:0 -2px 8px rgba(0,0,0,.2)}
"""


def page(world: World, request: Request) -> Response:
    consented = request.cookies.get(CONSENT_COOKIE) in ("all", "necessary")
    logo = world.media["web-logo"].path
    data = json.dumps({"page": PAGE, "consented": consented})
    return html_response(f"""<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sociala medier - Örebro kommun</title>
<style>{STYLE}</style>
</head>
<body data-page='{html.escape(data)}'>
<header><img src="{logo}" alt="Örebro kommun" width="160" height="90"><nav><a href="/">Start</a> ·
<a href="/web/{PAGE}">Sociala medier</a></nav></header>
<main>{_body(world)}</main>
{"" if consented else BANNER}
<script>{SCRIPT}</script>
</body>
</html>
""")
