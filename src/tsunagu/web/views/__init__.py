"""The pages, one module per area. Each view parses, authorizes, calls one
service or selector and renders; refusals are shown, never re-decided here."""
