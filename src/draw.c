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

    if (doc->npages == doc->cap) {
        size_t cap = doc->cap ? doc->cap * 2 : 4;
        p = realloc(doc->pages, cap * sizeof *p);
        if (!p)
            return NULL;
        doc->pages = p;
        doc->cap = cap;
    }
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
    if (page->nops == page->cap) {
        size_t cap = page->cap ? page->cap * 2 : 32;
        op = realloc(page->ops, cap * sizeof *op);
        if (!op)
            return NULL;
        page->ops = op;
        page->cap = cap;
    }
    op = &page->ops[page->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    return op;
}
