/*
 * draw.c: building the list of drawing operations of a document.
 */
#include <stdlib.h>
#include <string.h>

#include "draw.h"

struct document *document_new(void)
{
    return calloc(1, sizeof(struct document));
}

void document_free(struct document *doc)
{
    size_t i, k;

    if (!doc)
        return;
    for (i = 0; i < doc->npages; i++) {
        for (k = 0; k < doc->pages[i].nops; k++)
            if (doc->pages[i].ops[k].kind == OP_IMAGE)
                image_free(doc->pages[i].ops[k].u.image.image);
        free(doc->pages[i].ops);
    }
    free(doc->pages);
    arena_release(&doc->arena);
    free(doc);
}

struct page *document_add_page(struct document *doc, float width, float height)
{
    struct page *p;

    if (!(p = array_room(doc->pages, doc->npages, &doc->cap, sizeof *p, 4)))
        return NULL;
    doc->pages = p;
    p = &doc->pages[doc->npages++];
    memset(p, 0, sizeof *p);
    p->width = width;
    p->height = height;
    return p;
}

struct op *page_add_op(struct document *doc, struct page *page, enum op_kind kind)
{
    struct op *op;

    (void)doc;
    if (!(op = array_room(page->ops, page->nops, &page->cap, sizeof *op, 32)))
        return NULL;
    page->ops = op;
    op = &page->ops[page->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    return op;
}
