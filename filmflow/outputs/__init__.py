"""What filmflow makes for eyes: contact sheets (sheet, pencil, sheetfile, fonts), the gallery
and blog post (gallery), the year's chart (chart), and `make`, which turns a library's catalog
rows into a roll sheet, a project sheet or a project export."""
