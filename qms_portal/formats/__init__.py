"""Date formats per language (FORMAT_MODULE_PATH): pages print dates the way each language writes
them — "1 Dec 2026" in English, "2026年12月1日" in Chinese. Whatever is not set here comes from
Django's own locale formats (input formats included)."""
