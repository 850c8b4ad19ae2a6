"""Ask Learnhub: questions answered in words from the project's own search, with citations, streamed as SSE.

`client` talks to an OpenAI-compatible chat-completions API, `tools` gives the model the search service,
`citations` keeps only what retrieval returned, `extractive` answers without a model, `answer` runs one turn,
`sse`/`api`/`views` serve it, `limits` meters it, `models` keeps conversations for review.
"""
