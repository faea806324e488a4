"""A plan's renderings: formatting only, everything shown is in the Plan.

    formats.py    render(plan, stream, format, options): FORMATS, RenderOptions, json
    text.py       Terraform-like ``+ ~ -`` lines, for terminals and CI logs
    markdown.py   a pull-request comment, cut to fit GitHub's size limit
    wording.py    a change in words, shared by the renderers, the safety messages and
                  apply's progress lines

Nothing is imported here: ``wording`` is read by modules that ``formats`` itself
imports (the Plan's safety check), so the package must not pull ``formats`` in.
"""
