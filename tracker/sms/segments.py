"""How many SMS segments a text costs: GSM-7 or UCS-2, as carriers and Twilio count them.

GSM-7 (GSM 03.38): 160 septets in a single message, 153 per part of a split one; the
extension characters ^ { } \\ [ ] ~ | € (and form feed) take an escape plus a septet.
One character outside the basic set and its extension makes the WHOLE message UCS-2:
70 UTF-16 code units single, 67 per part; an emoji outside the BMP is two code units.
Neither an escape pair nor a surrogate pair is split between two parts.

Beware: a curly quote or apostrophe (U+2018/2019/201C/201D), an en or em dash, a
non-breaking space (U+00A0) or an accent such as á, í, ó, ú silently turns the whole
message into UCS-2 and doubles (or triples) its cost.
"""

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67

# The basic character set of GSM 03.38, without the escape (0x1B) itself.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")


def is_gsm7(text: str) -> bool:
    """True if every character is in the GSM-7 basic set or its extension table."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def segments(text: str) -> int:
    """Segments needed to send `text`; an empty text is one (empty) segment."""
    if is_gsm7(text):
        units = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return _parts(units, GSM7_SINGLE, GSM7_PART)
    units = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return _parts(units, UCS2_SINGLE, UCS2_PART)


def _parts(units: list[int], single: int, part: int) -> int:
    """Parts needed for characters of the given widths; a character never straddles two."""
    if sum(units) <= single:
        return 1
    count, used = 1, 0
    for width in units:
        if used + width > part:
            count, used = count + 1, 0
        used += width
    return count
