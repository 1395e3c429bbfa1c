"""An article's last block kept with "More from" (ending.py): what is split off, and what is not."""

from masthead.render.ending import ending

NOTES = ('<div class="footnotes"><aside id="n1" class="footnote" epub:type="footnote" role="doc-footnote">'
         '<p>A note.</p></aside></div>')


def test_the_last_paragraph_is_split_off_and_keeps_its_indent_after_a_paragraph():
    end = ending("<p>One.</p>\n<p>Two.</p>\n<p>Three.</p>\n")
    assert (end.lead, end.last, end.continues) == ("<p>One.</p>\n<p>Two.</p>\n", '<p class="continues">Three.</p>', True)


def test_notes_at_the_end_are_what_goes_with_more_from():
    end = ending(f"<p>Intro.</p>\n<p>Text.</p>\n{NOTES}\n")
    assert (end.lead, end.last, end.continues) == ("<p>Intro.</p>\n<p>Text.</p>\n", NOTES, False)


def test_a_paragraph_after_a_scene_break_is_not_indented():
    end = ending('<p>One.</p><p class="scene-break" role="separator">* * *</p><p>Two.</p>')
    assert end.last == "<p>Two.</p>" and end.continues is False


def test_nothing_is_split_off_a_body_of_one_block_only_notes_or_a_heading_and_its_paragraph():
    assert ending(f"<p>Alone.</p>{NOTES}").last == NOTES
    for body in ("<p>Alone.</p>", NOTES, "<p>A.</p><section><h2>B</h2><p>C.</p></section>",
                 "<h2>B</h2><p>C.</p>", "<p>A.</p>trailing text", "", "<p>Unclosed"):
        assert ending(body) == ("", "", False), body


def test_a_heading_goes_over_with_the_paragraph_it_introduces():
    end = ending("<p>A.</p>\n<h2>B</h2>\n<p>C.</p>")
    assert (end.lead, end.last, end.continues) == ("<p>A.</p>\n", "<h2>B</h2>\n<p>C.</p>", False)


def test_the_split_goes_into_a_wrapping_article_and_its_last_section_written_again_as_continuations():
    body = ('<article id="story" epub:type="chapter" class="tale" lang="en">\n<section id="s1"><p>A.</p></section>\n'
            '<section id="s2" class="part"><h2>II</h2>\n<p>B.</p>\n<p>C.</p>\n</section>\n</article>\n')
    end = ending(body)
    assert end.lead == ('<article id="story" epub:type="chapter" class="tale" lang="en">\n<section id="s1"><p>A.</p></section>\n'
                        '<section id="s2" class="part"><h2>II</h2>\n<p>B.</p>\n</section>\n</article>\n')
    assert end.last == ('<article class="tale" lang="en" role="presentation"><section class="part" role="presentation">'
                        '<p class="continues">C.</p>\n</section></article>')
    assert ending(body + NOTES).last == NOTES  # notes after the article: they go with "More from"
    assert end.continues is True


def test_a_table_at_the_end_is_split_off_in_its_wrapper():
    table = '<div class="table-wrap"><table class="stackable"><tr><td>1</td></tr></table></div>'
    assert ending(f"<p>Before.</p>{table}").last == table


def test_the_two_parts_are_the_body_again():
    body = f'<p>One <em>x</em>.</p>\n<!-- c -->\n<p>Two <a href="#n1" epub:type="noteref">1</a>.</p>\n{NOTES}\n'
    end = ending(body)
    assert end.lead + end.last.replace(' class="continues"', "") + "\n" == body


def test_a_heading_before_the_notes_goes_over_with_them():
    heading = '<h2>Notes</h2><section epub:type="endnotes"><p>n</p></section>'
    assert ending(f"<p>a</p>{heading}") == ("<p>a</p>", heading, False)


def test_a_paragraph_with_a_note_inside_is_text_not_notes():
    end = ending('<p>a</p><p>Last words.<span epub:type="footnote">n</span></p>')
    assert end.continues is True and end.last.startswith('<p class="continues">Last words.')


def test_a_scene_break_at_the_end_keeps_its_own_look_and_a_class_is_not_doubled():
    assert ending('<p>a</p><p class="scene-break">*</p>') == ("<p>a</p>", '<p class="scene-break">*</p>', False)
    assert ending('<p>a</p><p class="continues">b</p>').last == '<p class="continues">b</p>'


def test_text_between_the_blocks_or_any_string_leaves_the_body_whole():
    for body in ("<p>a</p>stray<p>b</p>", "<p>c</p><section><p>a</p>x<p>b</p></section>", "\ud800", "<p>\ud800</p>"):
        assert ending(body) == ("", "", False), body
