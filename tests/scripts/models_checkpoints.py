"""Tiny random checkpoints for the model and example tests, in the layout of real Hub checkpoints.

``make_xclip_checkpoint`` writes an X-CLIP model with a real word-level tokenizer whose vocabulary is the words of the
prompts it will see (a BPE vocabulary would need a download), so the open-vocabulary path runs end to end offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from mt_models.models.backbones import XCLIPBackbone, save_tiny_checkpoint

SPECIAL_TOKENS = ("<pad>", "<unk>", "<bos>")
EOS_TOKEN = "<eos>"  # the last id: X-CLIP's text model pools at the highest token id (its legacy EOS rule)


def make_xclip_checkpoint(out_dir: str | Path, texts: Iterable[str], *, max_length: int = 48, seed: int = 0) -> Path:
    """A tiny X-CLIP checkpoint plus a tokenizer covering every word of ``texts``; returns ``out_dir``."""
    words = sorted({w for text in texts for w in re.findall(r"\w+|[^\w\s]", text.lower())})
    vocab = {token: i for i, token in enumerate([*SPECIAL_TOKENS, *words, EOS_TOKEN])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single=f"<bos> $A {EOS_TOKEN}", special_tokens=[("<bos>", vocab["<bos>"]), (EOS_TOKEN, vocab[EOS_TOKEN])]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>", bos_token="<bos>", eos_token=EOS_TOKEN
    )
    text_config = {
        **XCLIPBackbone.tiny_config["text_config"],
        "vocab_size": len(vocab),
        "max_position_embeddings": max_length,
        "pad_token_id": vocab["<pad>"],
        "bos_token_id": vocab["<bos>"],
        "eos_token_id": 2,  # keeps X-CLIP's argmax pooling, which finds <eos> as the highest id
    }
    out = save_tiny_checkpoint("xclip", out_dir, seed=seed, text_config=text_config)
    tokenizer.save_pretrained(out)
    return out
