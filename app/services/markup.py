"""Text of the site's content: Markdown rendered to HTML and sanitised with an allow-list (nh3), plain-text fields.

What leaves here never carries a script, an event handler, a `javascript:` URL or a style: the allow-list
has no `script`, `style` or `on*` attribute, links keep only http(s)/mailto/tel or relative targets, and
images only our own `/media/<id>/<variant>` addresses.
"""

from __future__ import annotations

import html
import re

import markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small", "abbr",
        "blockquote", "code", "pre", "ul", "ol", "li", "dl", "dt", "dd",
        "a", "img",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# The only images a text may show: our own content images (see app/views/shop/content.py).
MEDIA_SRC = re.compile(r"^/media/(\d{1,10})/(large|medium|small)$")
ALIGN_VALUES = frozenset({"left", "right", "center"})
MAX_BODY_CHARS = 100_000

_MD_EXTENSIONS = ["tables", "sane_lists"]
_MD_CONFIG = {"tables": {"use_align_attribute": True}}


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """Per-attribute rules on top of the allow-list; never raises (nh3 would only report it)."""
    if tag == "img" and name == "src":
        return value if MEDIA_SRC.match(value.strip()) else None
    if name in ("width", "height", "colspan", "rowspan", "start"):
        return value if value.isdigit() and len(value) <= 4 else None
    if name == "align":
        return value if value in ALIGN_VALUES else None
    if tag == "a" and name == "href":
        target = value.strip()
        # No protocol-relative or backslash tricks; nh3 has already dropped unknown schemes.
        if target.startswith("//") or "\\" in target:
            return None
        return target
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer",
    set_tag_attribute_values={"img": {"loading": "lazy"}},
    strip_comments=True,
)


def sanitize_html(fragment: str) -> str:
    """Keep only the allowed formatting of an HTML fragment."""
    return _CLEANER.clean(fragment or "")


def render_markdown(source: str) -> str:
    """Markdown (raw HTML allowed inside) → sanitised HTML, ready to store and to show."""
    rendered = markdown.markdown(source or "", extensions=_MD_EXTENSIONS, extension_configs=_MD_CONFIG)
    return sanitize_html(rendered)


def image_ids(fragment: str) -> set[int]:
    """Ids of the content images a sanitised fragment shows."""
    found = set()
    for src in re.findall(r'<img[^>]*\ssrc="([^"]*)"', fragment or ""):
        match = MEDIA_SRC.match(html.unescape(src))
        if match:
            found.add(int(match.group(1)))
    return found


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\r\n]+")


def plain_text(value: str | None, *, multiline: bool = False) -> str:
    """A plain-text field (title, teaser, alt text…): markup removed, control characters and extra spaces gone.

    Repeated until stable, so text that spells markup with entities ("&lt;script&gt;") cannot come
    back as a tag either.
    """
    text = _CONTROL.sub("", value or "")
    for _ in range(5):
        cleaned = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
        if cleaned == text:
            break
        text = cleaned
    else:
        text = html.escape(text, quote=False)
    # Runs of ordinary spaces collapse; non-breaking spaces ("5\u00a0000\u00a0₽") are kept on purpose.
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
        return "\n".join(lines).strip()
    return _SPACES.sub(" ", text).strip()


def staff_view(fragment: str, image_prefix: str) -> str:
    """The same sanitised HTML for the back office: images from the staff route (drafts are not public)."""
    return fragment.replace('src="/media/', f'src="{image_prefix.rstrip("/")}/')
