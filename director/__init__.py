"""video-director: an AI video director. Shared vocabulary lives here; layers live in
director.agent, director.tools, director.prompts and director.ui."""

__version__ = "0.1.0"
