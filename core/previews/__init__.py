"""Link previews: plugins that claim URL patterns answer Lark's `url.preview.get` with a title and/or a card."""

from .pipeline import LINK_PREVIEW_EVENT, PreviewPipeline
from .preview import LinkPreview, LinkPreviewRequest, parse_preview_request

__all__ = ["LINK_PREVIEW_EVENT", "LinkPreview", "LinkPreviewRequest", "PreviewPipeline", "parse_preview_request"]
