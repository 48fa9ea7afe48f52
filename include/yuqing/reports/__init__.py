"""Reports (舆情专报, 周报/月报 with 定期通报 and 考核) in HTML, PDF and DOCX, and their 归口报送."""
