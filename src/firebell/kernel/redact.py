"""Passwords out of text that is shown or logged: a database URL's, in an error message or a line
that names the database."""

from __future__ import annotations

import re

MASK = "***"
# scheme://user:password@host: the password runs to the last "@" before the path (it may hold "@").
_USERINFO = re.compile(r"(?P<lead>\b[A-Za-z][\w+.-]*://[^:@/\s]*):[^\s/]*@")
# libpq's keyword form and URL query parameters: password=..., sslpassword=...
_KEYWORD = re.compile(r"(?P<key>\b\w*(?:password|passwd)=)[^\s&'\"]*", re.IGNORECASE)


def without_passwords(text: str) -> str:
    """`text` with every URL password and password= value shown as ***."""
    text = _USERINFO.sub(rf"\g<lead>:{MASK}@", text)
    return _KEYWORD.sub(rf"\g<key>{MASK}", text)
