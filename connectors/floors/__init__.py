"""Floors without a seller API, worked by a person (Voso, the provincial floor): the assisted machinery
(``connector``: upload packs out, order exports in; ``files``; ``config``) and one class per floor."""

__all__: list[str] = []
