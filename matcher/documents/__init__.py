"""Documents people take away: the plan and the service-gap report as Markdown, CSV and PDF. They read what
the case store returns, so they sit above it."""
