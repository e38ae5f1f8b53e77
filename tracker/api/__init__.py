"""The tracker's part of the REST API: the calendar feed and the feed tokens that open it."""
