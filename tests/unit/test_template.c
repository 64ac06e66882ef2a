/* Unit tests of the template loader (src/template.c): templates that load,
 * and each mistake said at its line.  Units have their own test (test_units). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "template.h"

static char path[64];

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
             "<template version=\"1\" name=\"t\" kind=\"certificate\""
#define STYLE "<style name=\"body\" font=\"serif\" size=\"12pt\"/>\n"
#define TEXT "<text x=\"1mm\" y=\"1mm\">a</text>"

/* Load `xml` from a file; NULL on failure with `err` filled. */
static struct template *load(const char *xml, attache_error *err)
{
    FILE *f = fopen(path, "w");

    if (f) {
        fputs(xml, f);
        fclose(f);
    }
    attache_error_clear(err);
    return template_load(path, err);
}

static void loads(const char *xml)
{
    attache_error err;
    struct template *t = load(xml, &err);

    if (!CHECK(t != NULL))
        fprintf(stderr, "    %s\n    for:\n%s\n", err.message, xml);
    template_free(t);
}

/* `xml` is refused with ATTACHE_ERR_DATA at `line` with a message that contains `what`. */
static void refused(const char *xml, unsigned long line, const char *what)
{
    attache_error err;
    struct template *t = load(xml, &err);

    if (!CHECK(t == NULL && err.code == ATTACHE_ERR_DATA && err.line == line &&
               strstr(err.message, what) && !strcmp(err.file, path)))
        fprintf(stderr, "    want line %lu '%s'\n    got  line %lu '%s'\n", line, what,
                err.line, err.message);
    template_free(t);
}

/* A page template whose page holds `item`, line 5. */
static void page_item_refused(const char *item, const char *what)
{
    char xml[2048];

    snprintf(xml, sizeof xml, HEAD ">\n" STYLE "<page>\n%s\n</page>\n</template>\n", item);
    refused(xml, 5, what);
}

/* A flow template whose flow holds `item`, line 5. */
static void flow_item_refused(const char *item, const char *what)
{
    char xml[2048];

    snprintf(xml, sizeof xml, HEAD ">\n" STYLE "<flow>\n%s\n</flow>\n</template>\n", item);
    refused(xml, 5, what);
}

/* A style on line 4 (after another) that is refused. */
static void style_refused(const char *style, const char *what)
{
    char xml[1024];

    snprintf(xml, sizeof xml, HEAD ">\n" STYLE "%s\n<page>" TEXT "</page></template>\n", style);
    refused(xml, 4, what);
}

/* A font on line 3 (fonts come first) that is refused. */
static void font_refused(const char *font, const char *what)
{
    char xml[1024];

    snprintf(xml, sizeof xml, HEAD ">\n%s\n" STYLE "<page>" TEXT "</page></template>\n", font);
    refused(xml, 3, what);
}

static void test_loads(void)
{
    attache_error err;
    struct template *t;

    loads(HEAD " size=\"100mm 150mm\" margin=\"10mm\">\n" STYLE "<page>" TEXT "</page></template>");
    loads(HEAD " size=\"A5\" margin=\"10mm 20mm\">\n" STYLE "<page>" TEXT "</page></template>");
    loads(HEAD " size=\"A5\" margin=\"10mm 20mm 5mm\">\n" STYLE "<page>" TEXT "</page></template>");
    loads(HEAD ">\n" STYLE "<page><text x=\"1mm\" y=\"1mm\" w=\"10mm\">a {{b}} c</text>"
          "<line x1=\"1mm\" y1=\"1mm\" x2=\"5mm\" y2=\"1mm\" dash=\"2pt\"/></page></template>");
    loads(HEAD ">\n" STYLE "<flow><h1>A</h1><h2>B</h2><h3>C</h3><p>x</p>"
          "<each select=\"batch\"><p>{@id}</p></each><if test=\"1\"><p>y</p></if>"
          "<table columns=\"* 2* 10mm\" header-style=\"body\"><row header=\"true\">"
          "<cell>a</cell><cell>b</cell><cell>c</cell></row></table></flow></template>");

    /* what a loaded template says about its page */
    t = load(HEAD " size=\"A5\" orientation=\"landscape\" margin=\"10mm 20mm 30mm 40mm\">\n"
             STYLE "<page>" TEXT "</page></template>", &err);
    CHECK(t != NULL);
    if (t && t->sections) {
        const struct tnode *page = t->sections;

        CHECK(page->page_w > page->page_h);                          /* landscape */
        CHECK(page->margin[0] > 28.3f && page->margin[0] < 28.4f);   /* 10mm */
        CHECK(page->margin[3] > 113.3f && page->margin[3] < 113.4f); /* 40mm */
        CHECK_STR(t->kind, "certificate");
        CHECK_STR(t->path, path);
    }
    template_free(t);
    template_free(NULL);
}

static void test_page_setup(void)
{
    static const char body[] = STYLE "<page>" TEXT "</page></template>\n";
    char xml[1024];

    snprintf(xml, sizeof xml, HEAD " size=\"100mm\">\n%s", body);
    refused(xml, 2, "page size must be A4, A5, A3, Letter, Legal or 'W H' lengths");
    snprintf(xml, sizeof xml, HEAD " size=\"50pt 50pt\">\n%s", body);
    refused(xml, 2, "page size must be");
    snprintf(xml, sizeof xml, HEAD " margin=\"10mm wide\">\n%s", body);
    refused(xml, 2, "margin must be one to four lengths");
    snprintf(xml, sizeof xml, HEAD " margin=\"1mm 2mm 3mm 4mm 5mm\">\n%s", body);
    refused(xml, 2, "margin must be one to four lengths");
    snprintf(xml, sizeof xml, HEAD " size=\"A5\" margin=\"80mm\">\n%s", body);
    refused(xml, 2, "the margins leave too little of the page");
    snprintf(xml, sizeof xml, HEAD " qr-max-version=\"41\">\n%s", body);
    refused(xml, 2, "qr-max-version='41' must be a whole number from 1 to 40");
    snprintf(xml, sizeof xml, "<?xml version=\"1.0\"?>\n<template version=\"2\" name=\"t\" "
             "kind=\"certificate\">\n%s", body);
    refused(xml, 2, "template version '2' is not supported; this attache reads version 1");
    refused(HEAD " size=\"A5\" margin=\"10mm\">\n" STYLE
            "<flow first-top=\"300mm\"><p>x</p></flow></template>\n",
            4, "first-top leaves too little of the page");
    refused("<?xml version=\"1.0\"?>\n<!DOCTYPE template>\n<template version=\"1\" name=\"t\" "
            "kind=\"certificate\">" STYLE "<page>" TEXT "</page></template>\n",
            2, "templates may not have a DOCTYPE");
    refused(HEAD ">\n<page>\n", 4, "premature end of data in tag page line 3");
    refused(HEAD ">\n<page><space/></page></template>\n", 3,
            "element 'space': This element is not expected");
}

static void test_styles(void)
{
    style_refused("<style name=\"s\" font=\"comic\"/>",
                  "font 'comic' is not a font family (built in: serif, serif-display, sans");
    style_refused("<style name=\"s\" size=\"1pt\"/>", "<style> size must be from 2pt to 500pt");
    style_refused("<style name=\"s\" tracking=\"3em\"/>",
                  "<style> tracking must be ems from -0.2em to 2em");
    style_refused("<style name=\"s\" leading=\"9\"/>",
                  "<style> leading must be from 0.8 to 4 (times the size)");
    style_refused("<style name=\"s\" parent=\"later\"/>",
                  "parent style 'later' is not defined before this style");
    style_refused("<style name=\"body\"/>", "style 'body' is defined twice");
    font_refused("<font family=\"f\" regular=\"../f.ttf\"/>",
                 "font path '../f.ttf' must be relative to the template, without '..'");
    font_refused("<font family=\"f\" regular=\"/usr/f.ttf\"/>", "must be relative");
    {
        attache_error err;
        struct template *t = load(HEAD ">\n<font family=\"f\" regular=\"missing.ttf\"/>\n"
                                  STYLE "<page>" TEXT "</page></template>\n", &err);

        CHECK(t == NULL);
        CHECK_INT(err.code, ATTACHE_ERR_NOINPUT);
        CHECK_INT(err.line, 3);
        CHECK_STR(err.message, "cannot open: No such file or directory");
        template_free(t);
    }
}

static void test_items(void)
{
    page_item_refused("<text x=\"1mm\" y=\"1mm\" w=\"10mm\" style=\"nope\">x</text>",
                      "style 'nope' is not defined (define it with <style name=...> first)");
    page_item_refused("<text x=\"1mm\" y=\"1mm\" w=\"10mm\">a } b</text>",
                      "a lone '}' in text; write '}}' for a brace");
    page_item_refused("<text x=\"1mm\" y=\"1mm\" w=\"10mm\">a { b</text>",
                      "'{' without a closing '}' in text; write '{{' for a brace");
    page_item_refused("<text x=\"1mm\" y=\"1mm\" w=\"10mm\">{name[}</text>",
                      "'name[' is not a valid XPath expression");
    page_item_refused("<text x=\"1mm\" y=\"1mm\" w=\"10mm\" size=\"8pt\" min-size=\"9pt\">x</text>",
                      "<text> min-size is larger than its size");
    page_item_refused("<text x=\"1mm\" y=\"1mm\" align=\"centre\">x</text>",
                      "<text> needs w= to align, wrap or shrink its text");
    page_item_refused("<text x=\"1mm\" y=\"1mm\" w=\"10mm\" colour=\"#12\">x</text>",
                      "<text> colour='#12' is not a colour (#rrggbb, #rgb or a name)");
    page_item_refused("<text x=\"1mm\" y=\"1mm\" w=\"10mm\" size=\"12px\">x</text>",
                      "<text> size='12px' is not a length (like 12pt, 20mm, 2cm, 1in)");
    page_item_refused("<line x1=\"1mm\" y1=\"1mm\" x2=\"5mm\" y2=\"1mm\" dash=\"2pt x\"/>",
                      "<line> dash must be one or two lengths, like '2pt 1pt'");
    page_item_refused("<qr x=\"1mm\" y=\"1mm\" size=\"5mm\"/>",
                      "<qr> size must be at least 10mm to scan reliably");
    page_item_refused("<image src=\"a.png\" x=\"1mm\" y=\"1mm\"/>", "<image> needs w= and h=");
    page_item_refused("<rect x=\"1mm\" y=\"1mm\"/>", "<rect> needs w= and h=");
    page_item_refused("<qr size=\"20mm\"/>", "element 'qr': The attribute 'x' is required");

    flow_item_refused("<table columns=\"10mm x\"><row><cell>a</cell></row></table>",
                      "table column width 'x' is not a length or *");
    flow_item_refused("<table columns=\"5mm 5mm 5mm 5mm 5mm 5mm 5mm 5mm 5mm 5mm 5mm 5mm 5mm "
                      "5mm 5mm 5mm 5mm\"><row><cell>a</cell></row></table>",
                      "a table has at most 16 columns");
    flow_item_refused("<table columns=\" \"><row><cell>a</cell></row></table>",
                      "<table> needs columns=, like \"30mm * 40mm\"");
    flow_item_refused("<table columns=\"*\" header-style=\"nope\"><row><cell>a</cell></row></table>",
                      "header-style 'nope' is not defined");
}

int main(void)
{
    int fd;

    snprintf(path, sizeof path, "/tmp/attache-test-template-XXXXXX");
    fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    test_loads();
    test_page_setup();
    test_styles();
    test_items();
    unlink(path);
    return check_done();
}
