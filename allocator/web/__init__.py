"""``allocator serve``: the what-if workspace in a browser, for budget officers.

- :mod:`.app`: the HTTP API and the page (FastAPI);
- :mod:`.store`: saved scenarios and jobs (SQLite, WAL) and the job folders;
- :mod:`.jobs`: the queue (at most N job processes at once);
- :mod:`.worker`: what one job's process does (plan, frontier, floor prices);
- :mod:`.instances`: the served instances, their baseline and pick lists (cached);
- :mod:`.forms`: the scenario form to and from the scenario TOML of the CLI;
- :mod:`.messages`: what the engine and the server say, by code, in Chinese and English;
- :mod:`.workbook`: the plan's Excel workbook with its names and headers in Chinese;
- :mod:`.compress`: the maps, gzip-compressed once and kept;
- ``static/``: the page (plain HTML, CSS and JavaScript: no build step, no network).

See docs/web.md.
"""
