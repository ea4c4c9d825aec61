"""The application layer: the use cases that api/ (HTTP), sync/ (the sync protocol), demo/, push/
and reach/ call. It imports domain/ and db/, never api/ or sync/."""
